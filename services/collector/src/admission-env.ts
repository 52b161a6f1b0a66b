import { z } from 'zod';
import { DEFAULT_ADMISSION_LIMITS } from './admission.ts';

/** The ingest memory ceilings' environment, shared by the collector and the embedded process. */
export const AdmissionEnv = {
  INGEST_MAX_IN_FLIGHT_BYTES: z.coerce.number().int().min(1024 * 1024).default(DEFAULT_ADMISSION_LIMITS.maxInFlightBytes),
  INGEST_MAX_TENANT_IN_FLIGHT_BYTES: z.coerce.number().int().min(1024 * 1024).default(DEFAULT_ADMISSION_LIMITS.maxTenantInFlightBytes),
};
