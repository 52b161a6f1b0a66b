import { z } from 'zod';
import { HttpTimeoutEnv, SecurityEnv, ShutdownEnv } from '@instant-logs/service-kit';
import { AdmissionEnv, SyslogEnv } from '@instant-logs/collector';
import { TailEnv } from '@instant-logs/query';

/** The embedded process's environment; every key has a default that works on a laptop. */
export const EmbeddedConfig = z.object({
  HOST: z.string().default('127.0.0.1'),
  PORT: z.coerce.number().int().min(0).max(65535).default(8080),
  DATA_DIR: z.string().default('.data/chdb'),
  CLICKHOUSE_DATABASE: z.string().regex(/^[A-Za-z_][A-Za-z0-9_]*$/).default('instant_logs'),
  ...SecurityEnv,
  ...HttpTimeoutEnv,
  ...ShutdownEnv,
  /** Per-tenant rate limits and retention: JSON as packages/schema's TenantPolicies; unset = none. */
  TENANTS_FILE: z.string().min(1).optional(),
  ...SyslogEnv,
  ...AdmissionEnv,
  ...TailEnv,
  SAMPLE_TRAFFIC_RATE: z.coerce.number().min(0).max(100_000).default(50),
  LOG_LEVEL: z.enum(['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent']).default('info'),
});
export type EmbeddedConfig = z.infer<typeof EmbeddedConfig>;
