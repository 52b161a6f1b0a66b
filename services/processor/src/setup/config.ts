import { z } from 'zod';

const positiveInt = z.coerce.number().int().min(1);

/** The setup Job's environment: where ClickHouse is, and the Kafka topics to create when no operator-managed Kafka does. */
export const SetupConfig = z.object({
  CLICKHOUSE_URL: z.url(),
  CLICKHOUSE_USER: z.string().default('default'),
  CLICKHOUSE_PASSWORD: z.string().default(''),
  CLICKHOUSE_DATABASE: z
    .string()
    .regex(/^[A-Za-z_][A-Za-z0-9_]*$/)
    .default('instant_logs'),
  RETENTION_DAYS: positiveInt.max(65535).default(30),
  /** Set only for a Kafka that Strimzi does not manage: then this Job creates the topics. */
  KAFKA_BROKERS: z.string().optional(),
  KAFKA_TOPIC: z.string().default('instant-logs'),
  KAFKA_DEAD_LETTER_TOPIC: z.string().default('instant-logs-dead-letter'),
  KAFKA_TOPIC_PARTITIONS: positiveInt.default(6),
  KAFKA_TOPIC_REPLICATION_FACTOR: positiveInt.default(3),
  KAFKA_TOPIC_RETENTION_MS: positiveInt.default(86_400_000),
  KAFKA_TOPIC_COMPRESSION: z.enum(['producer', 'gzip', 'zstd']).default('producer'),
  KAFKA_DEAD_LETTER_PARTITIONS: positiveInt.default(1),
  KAFKA_DEAD_LETTER_RETENTION_MS: positiveInt.default(7 * 86_400_000),
});
export type SetupConfig = z.infer<typeof SetupConfig>;
