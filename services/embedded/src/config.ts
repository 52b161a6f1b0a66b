import { z } from 'zod';
import {
  HttpTimeoutEnv,
  IdempotencyEnv,
  ProbeEnv,
  SecurityEnv,
  ShutdownEnv,
  TracingEnv,
} from '@instant-logs/service-kit';
import { AdmissionEnv, SyslogEnv } from '@instant-logs/collector';
import { AlertEnv, TailEnv } from '@instant-logs/query';

/** The embedded process's environment; every key has a default that works on a laptop. */
export const EmbeddedConfig = z
  .object({
    HOST: z.string().default('127.0.0.1'),
    PORT: z.coerce.number().int().min(0).max(65535).default(8080),
    DATA_DIR: z.string().default('.data/chdb'),
    /** The durable log a 202 waits for (fsync'd), before records are inserted in large batches; default DATA_DIR/wal. */
    WAL_DIR: z.string().min(1).optional(),
    WAL_SEGMENT_BYTES: z.coerce
      .number()
      .int()
      .min(4096)
      .default(64 * 1024 * 1024),
    /** Bytes in the log not yet stored; beyond it ingest answers 429 COLLECTOR_QUEUE_FULL. */
    WAL_MAX_UNSTORED_BYTES: z.coerce
      .number()
      .int()
      .min(1024 * 1024)
      .default(1024 * 1024 * 1024),
    /**
     * Longest the oldest record in the log may wait to be stored before new requests wait for the store
     * (and after as long again, get 429): it bounds how long an acknowledged record takes to become
     * queryable when the store falls behind; 0 = no bound.
     */
    WAL_MAX_LAG_MS: z.coerce.number().int().min(0).max(3_600_000).default(2_000),
    /** One insert takes at most this many rows and bytes, and waits at most this long for them. */
    WAL_BATCH_MAX_ROWS: z.coerce.number().int().min(1).default(200_000),
    WAL_BATCH_MAX_BYTES: z.coerce
      .number()
      .int()
      .min(1024)
      .default(32 * 1024 * 1024),
    WAL_BATCH_WAIT_MS: z.coerce.number().int().min(0).max(60_000).default(250),
    ...IdempotencyEnv,
    /** Nice value of the in-process ClickHouse engine's threads (query pipelines, merges), so acknowledgements go first; 0 = as Node's. */
    CLICKHOUSE_THREAD_NICE: z.coerce.number().int().min(0).max(19).default(10),
    CLICKHOUSE_DATABASE: z
      .string()
      .regex(/^[A-Za-z_][A-Za-z0-9_]*$/)
      .default('instant_logs'),
    ...SecurityEnv,
    ...HttpTimeoutEnv,
    ...ShutdownEnv,
    ...ProbeEnv,
    /** Per-tenant rate limits and retention: JSON as packages/schema's TenantPolicies; unset = none. */
    TENANTS_FILE: z.string().min(1).optional(),
    ...SyslogEnv,
    ...AdmissionEnv,
    ...TailEnv,
    ...AlertEnv,
    SAMPLE_TRAFFIC_RATE: z.coerce.number().min(0).max(100_000).default(50),
    LOG_LEVEL: z.enum(['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent']).default('info'),
    ...TracingEnv,
  })
  .refine((c) => c.WAL_MAX_LAG_MS === 0 || c.WAL_MAX_LAG_MS > c.WAL_BATCH_WAIT_MS, {
    // Records wait up to WAL_BATCH_WAIT_MS for their batch on purpose; a lag bound below it refuses an idle server.
    message: 'WAL_MAX_LAG_MS must be 0 (no bound) or longer than WAL_BATCH_WAIT_MS',
    path: ['WAL_MAX_LAG_MS'],
  })
  .refine((c) => c.WAL_MAX_LAG_MS < c.HTTP_REQUEST_TIMEOUT_MS, {
    // A request waits up to WAL_MAX_LAG_MS for the store before its body is read: within its own timeout.
    message: 'WAL_MAX_LAG_MS must be shorter than HTTP_REQUEST_TIMEOUT_MS',
    path: ['WAL_MAX_LAG_MS'],
  });
export type EmbeddedConfig = z.infer<typeof EmbeddedConfig>;
