import type { Migration } from './migrations.ts';

/** Saved views, alert rules and their state live in these tables (migration 4). */
export const SAVED_TABLES = Object.freeze({
  objects: 'saved_objects',
  alertState: 'alert_state',
  alertHistory: 'alert_history',
  lease: 'alert_lease',
});

// Issue 13 item 4. Few, small rows that change: ReplacingMergeTree keeps the highest `version` of a
// key once parts merge, and reads ask for FINAL so they see only that row before the merge too. A
// delete is a row with deleted = 1 (a tombstone), so it needs no mutation and replicas agree on it.
export const savedObjectsMigration: Migration = {
  version: 4,
  description: 'saved views, alert rules, alert state and history',
  statements: (db) => [
    `CREATE TABLE IF NOT EXISTS ${db}.${SAVED_TABLES.objects} (
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
    ENGINE = ReplacingMergeTree(version)
    ORDER BY (tenant, kind, id)`,
    `CREATE TABLE IF NOT EXISTS ${db}.${SAVED_TABLES.alertState} (
      tenant LowCardinality(String),
      rule_id String,
      version UInt64,
      body String
    )
    ENGINE = ReplacingMergeTree(version)
    ORDER BY (tenant, rule_id)`,
    `CREATE TABLE IF NOT EXISTS ${db}.${SAVED_TABLES.alertHistory} (
      tenant LowCardinality(String),
      rule_id String,
      at DateTime64(3, 'UTC'),
      from_state LowCardinality(String),
      to_state LowCardinality(String),
      value Float64,
      threshold Float64
    )
    ENGINE = MergeTree
    ORDER BY (tenant, rule_id, at)
    TTL toDateTime(at) + INTERVAL 90 DAY`,
    `CREATE TABLE IF NOT EXISTS ${db}.${SAVED_TABLES.lease} (
      name String,
      holder String,
      expires_at DateTime64(3, 'UTC'),
      version UInt64
    )
    ENGINE = ReplacingMergeTree(version)
    ORDER BY name`,
  ],
};
