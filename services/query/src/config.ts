import { z } from 'zod';
import { HttpTimeoutEnv, ProbeEnv, SecurityEnv, ShutdownEnv, TracingEnv } from '@instant-logs/service-kit';
import { TailEnv } from './tail-limits.ts';
import { AlertEnv } from './alerts/config.ts';

/** The query service's environment, as the Helm chart sets it. */
export const QueryConfig = z.object({
  HOST: z.string().default('0.0.0.0'),
  PORT: z.coerce.number().int().min(0).max(65535).default(8082),
  CLICKHOUSE_URL: z.url(),
  CLICKHOUSE_USER: z.string().default('default'),
  CLICKHOUSE_PASSWORD: z.string().default(''),
  CLICKHOUSE_DATABASE: z
    .string()
    .regex(/^[A-Za-z_][A-Za-z0-9_]*$/)
    .default('instant_logs'),
  ...SecurityEnv,
  /** Signs live-tail tickets so every replica accepts them; unset: derived from CLICKHOUSE_PASSWORD, which replicas share. */
  TAIL_TICKET_SECRET: z.string().min(32).optional(),
  ...HttpTimeoutEnv,
  ...ShutdownEnv,
  ...ProbeEnv,
  TAIL_POLL_MS: z.coerce.number().int().min(50).max(10_000).default(250),
  ...TailEnv,
  ...AlertEnv,
  LOG_LEVEL: z.enum(['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent']).default('info'),
  ...TracingEnv,
});
export type QueryConfig = z.infer<typeof QueryConfig>;
