import { z } from 'zod';
import { HttpTimeoutEnv, ProbeEnv, SecurityEnv, ShutdownEnv, TracingEnv } from '@instant-logs/service-kit';
import { SyslogEnv } from './syslog/config.ts';
import { AdmissionEnv } from './admission-env.ts';

/** The collector's environment, as the Helm chart sets it. */
export const CollectorConfig = z.object({
  HOST: z.string().default('0.0.0.0'),
  PORT: z.coerce.number().int().min(0).max(65535).default(8081),
  ...SecurityEnv,
  ...HttpTimeoutEnv,
  ...ShutdownEnv,
  ...ProbeEnv,
  KAFKA_BROKERS: z
    .string()
    .min(1)
    .transform((s) =>
      s
        .split(',')
        .map((b) => b.trim())
        .filter(Boolean),
    ),
  KAFKA_CLIENT_ID: z.string().default('instant-logs-collector'),
  KAFKA_TOPIC: z.string().default('instant-logs'),
  KAFKA_COMPRESSION: z.enum(['zstd', 'gzip', 'none']).default('zstd'),
  KAFKA_MAX_IN_FLIGHT_BYTES: z.coerce
    .number()
    .int()
    .min(1024)
    .default(64 * 1024 * 1024),
  KAFKA_SEND_TIMEOUT_MS: z.coerce.number().int().min(100).default(10_000),
  /** Per-tenant rate limits and retention: JSON as packages/schema's TenantPolicies; unset = none. */
  TENANTS_FILE: z.string().min(1).optional(),
  ...SyslogEnv,
  ...AdmissionEnv,
  LOG_LEVEL: z.enum(['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent']).default('info'),
  ...TracingEnv,
});
export type CollectorConfig = z.infer<typeof CollectorConfig>;
