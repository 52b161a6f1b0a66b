import { type ClusterTopology, type Layout, layoutFor, LOGS_SHARDING_KEY, onEveryNode } from './cluster.ts';
import { IDEMPOTENCY_TABLE, idempotencyKeysMigration } from './idempotency-keys.ts';
import { sqlString } from './insert-read-as.ts';
import { savedObjectsMigration } from './saved-objects-migration.ts';
import type { ClickHouseTransport, SqlParams } from './transport.ts';

/**
 * The message in lower case without its tokens that hold a digit (ids, numbers, hex), as the words
 * index of migration 3 holds it. A token is what splitByNonAlpha keeps together: ASCII letters and
 * digits and every non-ASCII character. Searches must spell it exactly so, or the index is not used.
 */
export const MESSAGE_WORDS = `replaceRegexpAll(lower(body), '[0-9a-z\\\\x{80}-\\\\x{10FFFF}]*[0-9][0-9a-z\\\\x{80}-\\\\x{10FFFF}]*', ' ')`;

/** The per-minute counts of records by tenant, service and level (migration 2). */
export const ROLLUP_TABLE = 'logs_per_minute';

/**
 * One step of the schema; `statements` receive the layout (database, one server or a cluster), then `logsSettings` are set on
 * the logs table where the server knows them (older servers keep their defaults), then `backfill`
 * (if any) fills what they created from the data already stored. Steps are append-only (migrations-shipped.test.ts).
 */
export interface Migration {
  version: number;
  description: string;
  statements: (layout: Layout) => string[];
  logsSettings?: Readonly<Record<string, string | number>>;
  backfill?: (transport: ClickHouseTransport, db: string) => Promise<void>;
}

// Ordered for "service X in the last N minutes" within a tenant; partitions by day so retention
// drops whole parts. The text index answers bare terms; bloom filters answer attribute filters.
export const MIGRATIONS: readonly Migration[] = [
  {
    version: 1,
    description: 'logs table',
    statements: (L) => [
      `CREATE TABLE IF NOT EXISTS ${L.local('logs')}${L.on} (
        tenant LowCardinality(String),
        timestamp DateTime64(9, 'UTC') CODEC(Delta(8), ZSTD(1)),
        observed_timestamp DateTime64(9, 'UTC') CODEC(Delta(8), ZSTD(1)),
        id String CODEC(ZSTD(1)),
        service LowCardinality(String),
        level LowCardinality(String),
        severity_text LowCardinality(String),
        severity_number UInt8,
        body String CODEC(ZSTD(1)),
        attributes Map(LowCardinality(String), String) CODEC(ZSTD(1)),
        resource Map(LowCardinality(String), String) CODEC(ZSTD(1)),
        trace_id String CODEC(ZSTD(1)),
        span_id String CODEC(ZSTD(1)),
        retention_days UInt16 DEFAULT 30,
        -- Set by the store on insert: live tail follows this, not client-supplied times.
        ingested_at DateTime64(6, 'UTC') DEFAULT now64(6) CODEC(Delta(8), ZSTD(1)),
        INDEX idx_body lower(body) TYPE text(tokenizer = splitByNonAlpha) GRANULARITY 1,
        INDEX idx_attribute_keys mapKeys(attributes) TYPE bloom_filter(0.01) GRANULARITY 1,
        INDEX idx_attribute_values mapValues(attributes) TYPE bloom_filter(0.01) GRANULARITY 1,
        INDEX idx_resource_keys mapKeys(resource) TYPE bloom_filter(0.01) GRANULARITY 1,
        INDEX idx_resource_values mapValues(resource) TYPE bloom_filter(0.01) GRANULARITY 1,
        INDEX idx_trace_id trace_id TYPE bloom_filter(0.001) GRANULARITY 1
      )
      ENGINE = ${L.engine('MergeTree', 'logs')}
      PARTITION BY toDate(timestamp)
      ORDER BY (tenant, service, timestamp)
      TTL toDateTime(timestamp) + toIntervalDay(retention_days)
      SETTINGS non_replicated_deduplication_window = 10000`,
      ...(L.cluster ? [L.distributed('logs', LOGS_SHARDING_KEY)] : []),
    ],
  },
  {
    // Issue 10 item 3: histograms over long ranges read records per minute instead of every record.
    version: 2,
    description: 'per-minute volume rollup',
    statements: (L) => [
      // retention_days is part of the key so each retention class expires on its own, a minute
      // after its newest record could (the logs TTL is per record). `backfilled` keeps the rows
      // counted from existing records apart from the view's, so a re-run can replace them.
      `CREATE TABLE IF NOT EXISTS ${L.local(ROLLUP_TABLE)}${L.on} (
        tenant LowCardinality(String),
        minute DateTime('UTC'),
        service LowCardinality(String),
        level LowCardinality(String),
        retention_days UInt16,
        backfilled UInt8 DEFAULT 0,
        records SimpleAggregateFunction(sum, UInt64)
      )
      ENGINE = ${L.engine('AggregatingMergeTree', ROLLUP_TABLE)}
      PARTITION BY toYYYYMM(minute)
      ORDER BY (tenant, minute, service, level, retention_days, backfilled)
      TTL minute + INTERVAL 1 MINUTE + toIntervalDay(retention_days)
      SETTINGS non_replicated_deduplication_window = 10000`,
      // Each shard counts its own records; histograms sum the shards' counts.
      ...(L.cluster ? [L.distributed(ROLLUP_TABLE, 'rand()')] : []),
      // Records ingested from the cutoff on are the view's to count, those before it the backfill's.
      // The cutoff is taken once, just after the view exists, and kept, so a re-run uses the same one.
      // A cluster's schema is created before its first record (migrate refuses a single server's
      // logs table), so it has nothing to backfill: the backfill's bookkeeping is one server's.
      ...(L.cluster
        ? []
        : [
            `CREATE TABLE IF NOT EXISTS ${L.db}.${ROLLUP_TABLE}_backfill (cutoff DateTime64(6, 'UTC')) ENGINE = MergeTree ORDER BY tuple()`,
          ]),
      // On a cluster the view sits on each shard's local table: a shard counts what it stores.
      `CREATE MATERIALIZED VIEW IF NOT EXISTS ${L.db}.${ROLLUP_TABLE}_mv${L.on} TO ${L.local(ROLLUP_TABLE)} AS
       SELECT tenant, toStartOfMinute(timestamp) AS minute, service, level, retention_days, count() AS records
       FROM ${L.local('logs')} GROUP BY tenant, minute, service, level, retention_days`,
      ...(L.cluster
        ? []
        : [
            `INSERT INTO ${L.db}.${ROLLUP_TABLE}_backfill (cutoff)
       SELECT now64(6) FROM system.one WHERE (SELECT count() FROM ${L.db}.${ROLLUP_TABLE}_backfill) = 0`,
            `CREATE TABLE IF NOT EXISTS ${L.db}.${ROLLUP_TABLE}_backfilled_days (day Date) ENGINE = MergeTree ORDER BY day`,
          ]),
      // Minutes whose records were deleted: the rollup still counts them, so histograms over them read the logs.
      `CREATE TABLE IF NOT EXISTS ${L.local(`${ROLLUP_TABLE}_stale`)}${L.on} (
        tenant LowCardinality(String),
        from_ns Int64,
        to_ns Int64,
        deleted_at DateTime DEFAULT now()
      )
      ENGINE = ${L.engine('MergeTree', `${ROLLUP_TABLE}_stale`)} ORDER BY tenant`,
      // A marker written through any server is seen from every one.
      ...(L.cluster ? [L.distributed(`${ROLLUP_TABLE}_stale`, 'rand()')] : []),
    ],
    backfill: backfillRollup,
  },
  {
    // Issue 10 item 3, measured in bench/results/disk-per-record.md: the text index over every token
    // of the message took 42 of 101 bytes a record, almost all of it for tokens seen once (request
    // ids, hex, numbers), and 6 µs a record of merge CPU. Words without digits are few: a text index
    // over them alone answers word searches as before from the index; tokens with a digit (needles)
    // go to a bloom filter per granule. Codec changes apply to parts written or merged from now on.
    version: 3,
    description: 'split text index, smaller codecs',
    statements: (L) => [
      `ALTER TABLE ${L.local('logs')}${L.on} ADD INDEX IF NOT EXISTS idx_words ${MESSAGE_WORDS} TYPE text(tokenizer = splitByNonAlpha) GRANULARITY 1`,
      `ALTER TABLE ${L.local('logs')}${L.on} ADD INDEX IF NOT EXISTS idx_body_tokens lower(body) TYPE tokenbf_v1(32768, 3, 0) GRANULARITY 1`,
      `ALTER TABLE ${L.local('logs')}${L.on} DROP INDEX IF EXISTS idx_body`,
      `ALTER TABLE ${L.local('logs')}${L.on} MODIFY COLUMN attributes Map(LowCardinality(String), String) CODEC(ZSTD(3))`,
      `ALTER TABLE ${L.local('logs')}${L.on} MODIFY COLUMN level LowCardinality(String) CODEC(ZSTD(1))`,
      `ALTER TABLE ${L.local('logs')}${L.on} MODIFY COLUMN severity_text LowCardinality(String) CODEC(ZSTD(1))`,
      `ALTER TABLE ${L.local('logs')}${L.on} MODIFY COLUMN severity_number UInt8 CODEC(ZSTD(1))`,
      // Mutations in the background: a large store is not rewritten inside one request's timeout,
      // and until a part has the new indexes its rows are matched by reading them (same answers).
      `ALTER TABLE ${L.local('logs')}${L.on} MATERIALIZE INDEX idx_words`,
      `ALTER TABLE ${L.local('logs')}${L.on} MATERIALIZE INDEX idx_body_tokens`,
    ],
    // A string's length beside its bytes instead of in a stream of its own: attributes 11.0 → 9.4 B a
    // record, the message 29.0 → 28.6 (ClickHouse 25.11+ writes a separate stream by default).
    logsSettings: { string_serialization_version: 'single_stream' },
  },
  savedObjectsMigration,
  idempotencyKeysMigration,
  {
    // Issue 10, measured in bench/results/disk-per-record.md ("Wider merges"): merges rewrite every
    // column and rebuild every skip index, so how often a record is merged again is a large part of
    // its CPU. A base of 10 instead of 5 merges more parts at once and each record fewer times, for
    // about twice as many parts of a partition kept side by side. Applies from the next merge on.
    version: 6,
    description: 'wider merges',
    statements: () => [],
    logsSettings: { merge_selector_base: 10 },
  },
  {
    // A stored batch leaves the local log (or its Kafka offset is committed) once its insert returns; without a
    // sync the part could still be in the page cache then, and a power cut would take records already
    // acknowledged. Merged parts need none: the parts they replace stay on disk for old_parts_lifetime.
    version: 7,
    description: 'inserts synced to disk',
    statements: (L) =>
      ['logs', ROLLUP_TABLE, IDEMPOTENCY_TABLE].map(
        (table) =>
          `ALTER TABLE ${L.local(table)}${L.on} MODIFY SETTING fsync_after_insert = 1, fsync_part_directory = 1`,
      ),
  },
];

/** The newest schema version this build knows. */
export const SCHEMA_VERSION = MIGRATIONS[MIGRATIONS.length - 1]!.version;

/**
 * Brings the database to SCHEMA_VERSION. Idempotent: applied versions are recorded and skipped,
 * and every statement is safe to repeat if a previous run stopped half way. `upTo` stops at an
 * older version (to test upgrades). With `cluster`, the tables are laid out over its shards (see
 * ClusterTopology); without, on the one server exactly as before clusters existed.
 */
export async function migrate(
  transport: ClickHouseTransport,
  db: string,
  upTo = SCHEMA_VERSION,
  cluster?: ClusterTopology,
): Promise<{ applied: number[] }> {
  assertIdentifier(db);
  const L = layoutFor(db, cluster);
  const ddl = (sql: string, params?: SqlParams) => onEveryNode(transport, L, sql, params);
  await ddl(`CREATE DATABASE IF NOT EXISTS ${db}${L.on}`);
  await ddl(
    `CREATE TABLE IF NOT EXISTS ${db}.schema_migrations${L.on} (version UInt32, description String, applied_at DateTime DEFAULT now())
     ENGINE = MergeTree ORDER BY version`,
  );
  if (cluster) await refuseSingleServerLogs(transport, db);
  const done = await transport.query<{ version: number }>(`SELECT version FROM ${db}.schema_migrations`);
  const applied = new Set(done.map((r) => Number(r.version)));
  const now: number[] = [];
  for (const m of MIGRATIONS) {
    if (applied.has(m.version) || m.version > upTo) continue;
    for (const sql of m.statements(L)) await ddl(sql);
    for (const [name, value] of Object.entries(m.logsSettings ?? {})) {
      const known = await transport.query<{ n: string }>(
        `SELECT count() AS n FROM system.merge_tree_settings WHERE name = {name:String}`,
        { name },
      );
      // Names and values are this file's constants, never input.
      if (Number(known[0]?.n) > 0)
        await ddl(
          `ALTER TABLE ${L.local('logs')}${L.on} MODIFY SETTING ${name} = ${typeof value === 'number' ? value : sqlString(value)}`,
        );
    }
    if (!cluster) await m.backfill?.(transport, db);
    // Each node records what it holds; through ON CLUSTER only the connected one does, and a run
    // through another node repeats the (idempotent) statements.
    await ddl(`INSERT INTO ${db}.schema_migrations (version, description) VALUES ({v:UInt32}, {d:String})`, {
      v: m.version,
      d: m.description,
    });
    now.push(m.version);
  }
  return { applied: now };
}

/**
 * Pure: every schema statement of versions after `from` up to SCHEMA_VERSION for the layout, in
 * order, without the settings probed at run time. For checking generated DDL that is not run.
 */
export function schemaStatements(db: string, cluster: ClusterTopology | undefined, from = 0): string[] {
  assertIdentifier(db);
  const L = layoutFor(db, cluster);
  return MIGRATIONS.filter((m) => m.version > from).flatMap((m) => m.statements(L));
}

// A server that held the logs before it joined a cluster keeps them in a plain `logs` table, which
// CREATE … IF NOT EXISTS would silently keep using instead of the Distributed one.
async function refuseSingleServerLogs(transport: ClickHouseTransport, db: string): Promise<void> {
  const rows = await transport.query<{ engine: string }>(
    `SELECT engine FROM system.tables WHERE database = {db:String} AND name = 'logs'`,
    { db },
  );
  const engine = rows[0]?.engine;
  if (engine !== undefined && engine !== 'Distributed')
    throw new Error(
      `Cannot lay out ${db} over a cluster: ${db}.logs is a ${engine} table of one server; copy its records into a new database`,
    );
}

/** Throws unless `name` is a plain identifier; database names are the one thing spliced into SQL. */
export function assertIdentifier(name: string): void {
  if (!/^[A-Za-z_][A-Za-z0-9_]{0,62}$/.test(name))
    throw new Error(`Invalid database name "${name}": use letters, digits and underscores`);
}

/**
 * Counts the records ingested before the rollup's cutoff into the rollup, one day partition of the
 * logs at a time (each insert stays well inside a request timeout), recording each day done. A day
 * begun by a run that stopped is cleared of its backfilled rows and counted again, never twice.
 */
async function backfillRollup(transport: ClickHouseTransport, db: string): Promise<void> {
  const rollup = `${db}.${ROLLUP_TABLE}`;
  const days = await transport.query<{ day: string }>(
    `SELECT DISTINCT partition AS day FROM system.parts WHERE database = {db:String} AND table = 'logs' AND active
       AND toDate(partition) NOT IN (SELECT day FROM ${rollup}_backfilled_days) ORDER BY day`,
    { db },
  );
  for (const { day } of days) {
    const begun = await transport.query<{ n: string }>(
      `SELECT count() AS n FROM ${rollup} WHERE backfilled = 1 AND toDate(minute) = {day:Date}`,
      { day },
    );
    if (Number(begun[0]?.n) > 0) {
      await transport.command(
        `ALTER TABLE ${rollup} DELETE WHERE backfilled = 1 AND toDate(minute) = {day:Date} SETTINGS mutations_sync = 2`,
        { day },
      );
    }
    await transport.command(
      `INSERT INTO ${rollup} (tenant, minute, service, level, retention_days, backfilled, records)
       SELECT tenant, toStartOfMinute(timestamp) AS minute, service, level, retention_days, 1, count()
       FROM ${db}.logs WHERE toDate(timestamp) = {day:Date} AND ingested_at < (SELECT min(cutoff) FROM ${rollup}_backfill)
       GROUP BY tenant, minute, service, level, retention_days
       SETTINGS insert_deduplicate = 0`,
      { day },
    );
    await transport.command(
      `INSERT INTO ${rollup}_backfilled_days (day) SETTINGS insert_deduplicate = 0 VALUES ({day:Date})`,
      { day },
    );
  }
}
