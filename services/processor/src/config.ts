import { z } from 'zod';
import { ClickHouseClusterEnv, IdempotencyEnv, TracingEnv } from '@instant-logs/service-kit';

const brokers = z
  .string()
  .min(1)
  .transform((s) =>
    s
      .split(',')
      .map((b) => b.trim())
      .filter(Boolean),
  );

/** The processor's environment, as the Helm chart sets it. */
export const ProcessorConfig = z.object({
  HOST: z.string().default('0.0.0.0'),
  PORT: z.coerce.number().int().min(0).max(65535).default(8083),
  KAFKA_BROKERS: brokers,
  KAFKA_CLIENT_ID: z.string().default('instant-logs-processor'),
  KAFKA_GROUP_ID: z.string().default('instant-logs-processor'),
  KAFKA_TOPIC: z.string().default('instant-logs'),
  KAFKA_DEAD_LETTER_TOPIC: z.string().default('instant-logs-dead-letter'),
  CLICKHOUSE_URL: z.url(),
  CLICKHOUSE_USER: z.string().default('default'),
  CLICKHOUSE_PASSWORD: z.string().default(''),
  CLICKHOUSE_DATABASE: z
    .string()
    .regex(/^[A-Za-z_][A-Za-z0-9_]*$/)
    .default('instant_logs'),
  ...ClickHouseClusterEnv,
  BATCH_MAX_ROWS: z.coerce.number().int().min(1).default(50_000),
  BATCH_MAX_BYTES: z.coerce
    .number()
    .int()
    .min(1024)
    .default(16 * 1024 * 1024),
  BATCH_MAX_WAIT_MS: z.coerce.number().int().min(0).max(60_000).default(200),
  PARTITIONS_CONCURRENTLY: z.coerce.number().int().min(1).max(64).default(4),
  RETRY_INITIAL_MS: z.coerce.number().int().min(1).default(200),
  // Short enough that a store back from an outage is noticed within seconds (make bench: the
  // 30 s it used to be added ~20 s to lag recovery after a 60 s outage).
  RETRY_MAX_MS: z.coerce.number().int().min(1).default(5_000),
  ...IdempotencyEnv,
  LOG_LEVEL: z.enum(['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent']).default('info'),
  ...TracingEnv,
});
export type ProcessorConfig = z.infer<typeof ProcessorConfig>;
