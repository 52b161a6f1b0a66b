import { z } from 'zod';
import { DEFAULT_ADMISSION_LIMITS } from './admission.ts';

/** The ingest memory ceilings' and threads' environment, shared by the collector and the embedded process. */
export const AdmissionEnv = {
  INGEST_MAX_IN_FLIGHT_BYTES: z.coerce
    .number()
    .int()
    .min(1024 * 1024)
    .default(DEFAULT_ADMISSION_LIMITS.maxInFlightBytes),
  INGEST_MAX_TENANT_IN_FLIGHT_BYTES: z.coerce
    .number()
    .int()
    .min(1024 * 1024)
    .default(DEFAULT_ADMISSION_LIMITS.maxTenantInFlightBytes),
  /** Threads that decode and normalise ingest bodies beside the event loop; unset = one on a machine with two or more cores. */
  INGEST_THREADS: z.coerce.number().int().min(0).max(64).optional(),
};
