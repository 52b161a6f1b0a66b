import type { Migration } from './migrations.ts';

/** Saved views, alert rules and their state live in these tables (migration 4). */
export const SAVED_TABLES = Object.freeze({
  objects: 'saved_objects',
  alertState: 'alert_state',
  alertHistory: 'alert_history',
  lease: 'alert_lease',
});

// Distributed over the shards of a cluster, keyed so that every version of a row lands on the same shard (FINAL
// then works shard by shard), and all of one lease on one shard.
const SHARDING_KEYS: Record<keyof typeof SAVED_TABLES, string> = {
  objects: 'cityHash64(tenant, kind, id)',
  alertState: 'cityHash64(tenant, rule_id)',
  alertHistory: 'cityHash64(tenant, rule_id)',
  lease: 'cityHash64(name)',
};

// Issue 13 item 4. Few, small rows that change: ReplacingMergeTree keeps the highest `version` of a
// key once parts merge, and reads ask for FINAL so they see only that row before the merge too. A
// delete is a row with deleted = 1 (a tombstone), so it needs no mutation and replicas agree on it.
export const savedObjectsMigration: Migration = {
  version: 4,
  description: 'saved views, alert rules, alert state and history',
  statements: (L) => [
    `CREATE TABLE IF NOT EXISTS ${L.local(SAVED_TABLES.objects)}${L.on} (
      tenant LowCardinality(String),
      kind LowCardinality(String),
      id String,
      version UInt64,
      deleted UInt8 DEFAULT 0,
      name String,
      body String CODEC(ZSTD(1)),
      created_at DateTime64(3, 'UTC'),
      updated_at DateTime64(3, 'UTC')
    )
    ENGINE = ${L.engine('ReplacingMergeTree', SAVED_TABLES.objects, 'version')}
    ORDER BY (tenant, kind, id)`,
    `CREATE TABLE IF NOT EXISTS ${L.local(SAVED_TABLES.alertState)}${L.on} (
      tenant LowCardinality(String),
      rule_id String,
      version UInt64,
      body String
    )
    ENGINE = ${L.engine('ReplacingMergeTree', SAVED_TABLES.alertState, 'version')}
    ORDER BY (tenant, rule_id)`,
    `CREATE TABLE IF NOT EXISTS ${L.local(SAVED_TABLES.alertHistory)}${L.on} (
      tenant LowCardinality(String),
      rule_id String,
      at DateTime64(3, 'UTC'),
      from_state LowCardinality(String),
      to_state LowCardinality(String),
      value Float64,
      threshold Float64
    )
    ENGINE = ${L.engine('MergeTree', SAVED_TABLES.alertHistory)}
    ORDER BY (tenant, rule_id, at)
    TTL toDateTime(at) + INTERVAL 90 DAY`,
    `CREATE TABLE IF NOT EXISTS ${L.local(SAVED_TABLES.lease)}${L.on} (
      name String,
      holder String,
      expires_at DateTime64(3, 'UTC'),
      version UInt64
    )
    ENGINE = ${L.engine('ReplacingMergeTree', SAVED_TABLES.lease, 'version')}
    ORDER BY name`,
    ...(L.cluster
      ? (Object.keys(SAVED_TABLES) as (keyof typeof SAVED_TABLES)[]).map((t) =>
          L.distributed(SAVED_TABLES[t], SHARDING_KEYS[t]),
        )
      : []),
  ],
};
