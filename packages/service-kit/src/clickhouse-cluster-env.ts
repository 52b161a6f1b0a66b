import { z } from 'zod';

/**
 * The variables that say a pipeline's ClickHouse is a cluster, shared by the processor, the query service
 * and the setup Job (the operator sets them together). CLICKHOUSE_CLUSTER unset: one server.
 */
export const ClickHouseClusterEnv = {
  /** The cluster's name in the servers' remote_servers. */
  CLICKHOUSE_CLUSTER: z
    .string()
    .regex(/^[A-Za-z_][A-Za-z0-9_]*$/, 'must be a plain identifier')
    .optional(),
  /** `true`: ReplicatedMergeTree tables on Keeper. */
  CLICKHOUSE_CLUSTER_REPLICATED: z
    .enum(['true', 'false'])
    .default('false')
    .transform((v) => v === 'true'),
  /** Comma-separated HTTP URLs of every server: schema changes and deletes run on each. Unset: ON CLUSTER. */
  CLICKHOUSE_CLUSTER_NODES: z
    .string()
    .optional()
    .transform((s) =>
      s
        ?.split(',')
        .map((u) => u.trim())
        .filter(Boolean),
    )
    .pipe(
      z
        .array(z.string().regex(/^https?:\/\/[^\s/?#]+\S*$/, 'must be http:// or https:// URLs'))
        .min(1)
        .optional(),
    ),
};
