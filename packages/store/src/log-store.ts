import {
  arrayLines,
  formatTimestamp,
  LEVELS,
  QUEUED_COLUMNS,
  type Histogram,
  type LogRecord,
} from '@instant-logs/schema';
import type { QueryNode } from '@instant-logs/query-language';
import { compileSearch, ParamBag, requiresIdentifier } from './filter-sql.ts';
import { assertIdentifier, migrate } from './migrations.ts';
import { type ClusterTopology, layoutFor, onEveryNode } from './cluster.ts';
import { edgeFilters, isRollupStale, markRollupStale, rollupCountsSql, rollupSpan } from './volume-rollup.ts';
import type { ClickHouseTransport, InsertOptions } from './transport.ts';
import { decodeCursor, encodeCursor } from './cursor.ts';
import { chooseInterval } from './interval.ts';
import { DEFAULT_WINDOWS, searchWindows, type WindowOptions } from './search-windows.ts';

// How a queued line's values are read before they become the logs table's types: LowCardinality columns
// and map keys as plain strings, converted a block at a time; a null retention becomes the column default.
const READ_AS: Readonly<Record<(typeof QUEUED_COLUMNS)[number], string>> = {
  id: 'String',
  tenant: 'String',
  timestamp: "DateTime64(9, 'UTC')",
  observed_timestamp: "DateTime64(9, 'UTC')",
  service: 'String',
  level: 'String',
  severity_text: 'String',
  severity_number: 'UInt8',
  body: 'String',
  attributes: 'Map(String, String)',
  resource: 'Map(String, String)',
  trace_id: 'String',
  span_id: 'String',
  retention_days: 'Nullable(UInt16)',
};
/** The types a queued line's values are read as, in QUEUED_COLUMNS order (InsertOptions.readAs). */
export const QUEUED_READ_AS = QUEUED_COLUMNS.map((c) => READ_AS[c]);

/** What every read is narrowed by. Times are epoch nanoseconds, inclusive. */
export interface LogFilter {
  tenant: string;
  fromNs: bigint;
  toNs: bigint;
  services: readonly string[];
  levels: readonly string[];
  query: QueryNode | null;
}

export interface FacetCount {
  value: string;
  count: number;
}

/** A record as the patterns of a range see it: epoch milliseconds, level and message. */
export interface SampledMessage {
  ms: number;
  level: string;
  body: string;
}

/** A record seen by live tail, with the position to resume after it. */
export interface TailRecord {
  record: LogRecord;
  position: string;
}

/** A record seen by a shared live-tail read: which of the read's filters it matches. */
export interface MatchedTailRecord extends TailRecord {
  matches: number[];
}

/** The log store: one schema and the SQL for writing and reading it, over any transport. */
export interface LogStore {
  readonly database: string;
  migrate(): Promise<{ applied: number[] }>;
  /** Sets how many days new records are kept (the TTL reads each row's retention_days). */
  setDefaultRetention(days: number): Promise<void>;
  /** Writes queued lines (`queuedLine`, either form); a retry with the same token is a no-op. */
  insert(queuedLines: string | Buffer, options?: InsertOptions): Promise<void>;
  search(
    filter: LogFilter,
    page: { limit: number; cursor?: string | undefined },
  ): Promise<{ records: LogRecord[]; nextCursor: string | null }>;
  /** Counts per bucket and level; whole minutes come from the per-minute rollup when it can answer. */
  histogram(filter: LogFilter, buckets: number, options?: HistogramOptions): Promise<Histogram>;
  facet(
    filter: LogFilter,
    field: { kind: 'service' | 'level' } | { kind: 'attribute'; key: string },
    size: number,
  ): Promise<FacetCount[]>;
  /** How many records match, and the newest `limit` of them (time, level, message), newest first. */
  sampleMessages(filter: LogFilter, limit: number): Promise<{ total: number; messages: SampledMessage[] }>;
  /** A tail position just before now, by the store's clock. */
  tailStart(): Promise<string>;
  /** Records stored after position `after`, oldest first, with the position to continue from. */
  tail(filter: LogFilter, after: string, limit: number): Promise<{ records: TailRecord[]; position: string }>;
  /**
   * Records of `tenant` stored after `after` that match any of `filters` (their tenants are ignored), oldest first,
   * each with the indices of the filters it matches: one read for many live tails, matched by the same SQL as `tail`.
   */
  tailAny(
    tenant: string,
    filters: readonly LogFilter[],
    after: string,
    limit: number,
  ): Promise<{ records: MatchedTailRecord[]; position: string }>;
  count(tenant: string): Promise<number>;
  /** Deletes the records matching the filter (its tenant only) and waits until they are gone. */
  deleteLogs(filter: LogFilter): Promise<{ deleted: number }>;
  /** Per service of a tenant: records, bytes of text (see ServiceUsage) and the time span held. */
  usage(tenant: string): Promise<ServiceUsage[]>;
  ping(): Promise<void>;
}

/** `source: 'logs'` counts every record even where the rollup could answer (for comparison). */
export interface HistogramOptions {
  source?: 'auto' | 'logs';
}

/**
 * What one service of a tenant holds. `bytes` is the uncompressed UTF-8 length of the record's
 * text (body, attribute and resource keys and values), not disk usage, which ClickHouse compresses.
 */
export interface ServiceUsage {
  service: string;
  records: number;
  bytes: number;
  oldest: string;
  newest: string;
}

const RECORD_COLUMNS = `id, tenant, toString(toUnixTimestamp64Nano(timestamp)) AS ts_ns, toString(toUnixTimestamp64Nano(observed_timestamp)) AS observed_ns,
  service, level, severity_text, severity_number, body, attributes, resource, trace_id, span_id`;

interface RecordRow {
  id: string;
  tenant: string;
  ts_ns: string;
  observed_ns: string;
  service: string;
  level: LogRecord['level'];
  severity_text: string;
  severity_number: number;
  body: string;
  attributes: Record<string, string>;
  resource: Record<string, string>;
  trace_id: string;
  span_id: string;
}

/** Tuning a store's reads; the defaults suit production, tests narrow them. */
export interface LogStoreOptions {
  /** How search splits its range into newest-first windows. */
  windows?: WindowOptions;
  /** Epoch nanoseconds now; search starts its first window here when the range reaches past it. */
  now?: () => bigint;
  /** The cluster the tables are laid out over; omitted: one server. */
  cluster?: ClusterTopology | undefined;
}

// An insert through the Distributed table returns once every shard has written its rows, or fails
// (and is retried whole, each shard dropping what it already has): the background queue would
// acknowledge rows held only on the receiving server's disk.
const CLUSTER_INSERT_SETTINGS = { distributed_foreground_insert: 1 } as const;
const ONE_WINDOW: WindowOptions = { growth: 1, maxWindows: 1 };
/** The skip indexes an insert builds (where the server can choose); merges build the rest. */
const INDEXES_BUILT_ON_INSERT = ['idx_words', 'idx_body_tokens', 'idx_trace_id'];

/** Builds the log store over a transport; `database` holds the logs table. */
export function createLogStore(
  transport: ClickHouseTransport,
  database: string,
  options: LogStoreOptions = {},
): LogStore {
  assertIdentifier(database);
  const windows = options.windows ?? DEFAULT_WINDOWS;
  const now = options.now ?? (() => BigInt(Date.now()) * 1_000_000n);
  const table = `${database}.logs`;
  const layout = layoutFor(database, options.cluster);
  const clustered = options.cluster !== undefined;

  const where = (filter: LogFilter, bag: ParamBag): string =>
    `tenant = ${bag.add(filter.tenant, 'String')} AND ${matching(filter, bag)}`;
  // Everything a filter asks but its tenant.
  const matching = (filter: LogFilter, bag: ParamBag): string => {
    const parts = [
      `timestamp >= fromUnixTimestamp64Nano(${bag.add(filter.fromNs, 'Int64')}, 'UTC')`,
      `timestamp <= fromUnixTimestamp64Nano(${bag.add(filter.toNs, 'Int64')}, 'UTC')`,
    ];
    if (filter.services.length > 0) parts.push(`service IN ${bag.add(filter.services, 'Array(String)')}`);
    if (filter.levels.length > 0) parts.push(`level IN ${bag.add(filter.levels, 'Array(String)')}`);
    if (filter.query) parts.push(`(${compileSearch(filter.query, bag)})`);
    return parts.join(' AND ');
  };

  // Top-K dynamic filtering (ClickHouse 26.x; not in 25.8) takes PREWHERE for itself on ORDER BY … LIMIT, so a
  // text match is no longer read from the text index but by decompressing every body of every
  // candidate granule. A window's read is already narrow, so turning it off is the better trade
  // (bench/results/search-newest.md). Servers without the setting have no such filter: ask once.
  let searchSettings: Promise<string> | undefined;
  const settingsForSearch = () =>
    (searchSettings ??= transport
      .query<{ n: string }>(`SELECT count() AS n FROM system.settings WHERE name = 'use_top_k_dynamic_filtering'`)
      .then((rows) => (Number(rows[0]?.n) > 0 ? ' SETTINGS use_top_k_dynamic_filtering = 0' : ''))
      .catch((err: unknown) => {
        searchSettings = undefined; // a failed probe is asked again by the next search
        throw err;
      }));

  // The words index is cheap to build (+0.1–0.9 µs a record, bench/results/disk-per-record.md) and
  // answers word searches in fresh parts too, which would otherwise run its regular expression over
  // every message read. The message's token bloom filter and the trace id's are built on insert too
  // (+0.3 µs a record): without them an id search reads every message of the parts not merged yet,
  // which are the newest ones and, between merges, hundreds of thousands of records (a request id in
  // 2.85M records: 33 → 15 ms, bench/results/disk-per-record.md). The attribute maps' filters wait for
  // merges (INSERT_SETTINGS). Servers before 25.10 cannot exclude single indexes: there all of them
  // wait. Asked once, and again after a migration, which may change the indexes.
  let insertSettings: Promise<Record<string, string | number>> | undefined;
  const settingsForInsert = () =>
    (insertSettings ??= transport
      .query<{ n: string; others: string[] }>(
        `SELECT (SELECT count() FROM system.settings WHERE name = 'exclude_materialize_skip_indexes_on_insert') AS n,
           (SELECT groupArray(name) FROM system.data_skipping_indices WHERE database = {db:String} AND table = {table:String} AND name NOT IN {onInsert:Array(String)}) AS others`,
        { db: database, table: clustered ? 'logs_local' : 'logs', onInsert: INDEXES_BUILT_ON_INSERT },
      )
      .then(([row]): Record<string, string | number> => ({
        ...(Number(row?.n) > 0
          ? {
              materialize_skip_indexes_on_insert: 1,
              exclude_materialize_skip_indexes_on_insert: (row?.others ?? []).join(','),
            }
          : {}),
        ...(clustered ? CLUSTER_INSERT_SETTINGS : {}),
      }))
      .catch((err: unknown) => {
        insertSettings = undefined;
        throw err;
      }));

  return {
    database,
    async migrate() {
      const result = await migrate(transport, database, undefined, options.cluster);
      insertSettings = undefined;
      return result;
    },
    async setDefaultRetention(days) {
      // A column DEFAULT cannot be a query parameter; the integer check keeps the splice safe.
      if (!Number.isInteger(days) || days < 1 || days > 65535)
        throw new Error(`Invalid retention of ${days} days: use a whole number from 1 to 65535`);
      const alter = (t: string) => `ALTER TABLE ${t}${layout.on} MODIFY COLUMN retention_days UInt16 DEFAULT ${days}`;
      // On a cluster the receiving server fills defaults of the Distributed table, the shards those of theirs.
      if (clustered) await onEveryNode(transport, layout, alter(layout.local('logs')));
      await onEveryNode(transport, layout, alter(table));
    },
    insert: async (lines, options) =>
      transport.insertJsonEachRow(table, arrayLines(lines), {
        ...options,
        settings: await settingsForInsert(),
        columns: QUEUED_COLUMNS,
        readAs: QUEUED_READ_AS,
      }),

    async search(filter, page) {
      const cursor = page.cursor ? decodeCursor(page.cursor) : undefined;
      // A cursor bounds the range too: (timestamp, id) < cursor implies timestamp <= cursor's.
      const toNs = cursor && BigInt(cursor.ns) < filter.toNs ? BigInt(cursor.ns) : filter.toNs;
      const rows: RecordRow[] = [];
      // One row past the page says whether there is a next one.
      // An id is in a handful of records: windows would only add queries before reading the whole range.
      const plan = searchWindows(
        filter.fromNs,
        toNs,
        now(),
        page.limit + 1,
        requiresIdentifier(filter.query) ? ONE_WINDOW : windows,
      );
      for (let next = plan.next(); !next.done; next = plan.next(rows.length)) {
        const window = next.value;
        const bag = new ParamBag();
        let sql = `SELECT ${RECORD_COLUMNS} FROM ${table} WHERE ${where({ ...filter, ...window }, bag)}`;
        if (cursor)
          sql += ` AND (timestamp, id) < (fromUnixTimestamp64Nano(${bag.add(BigInt(cursor.ns), 'Int64')}, 'UTC'), ${bag.add(cursor.id, 'String')})`;
        const limit = bag.add(page.limit + 1 - rows.length, 'UInt32');
        sql += ` ORDER BY timestamp DESC, id DESC LIMIT ${limit}${await settingsForSearch()}`;
        rows.push(...(await transport.query<RecordRow>(sql, bag.params)));
      }
      const more = rows.length > page.limit;
      const records = rows.slice(0, page.limit).map(toRecord);
      const last = rows[page.limit - 1];
      return { records, nextCursor: more && last ? encodeCursor({ ns: last.ts_ns, id: last.id }) : null };
    },

    async histogram(filter, buckets, options = {}) {
      const fromMs = Number(filter.fromNs / 1_000_000n);
      const toMs = Number(filter.toNs / 1_000_000n);
      const step = chooseInterval(toMs - fromMs, buckets);
      const bag = new ParamBag();
      const stepParam = bag.add(step, 'UInt64');
      const logCounts = (
        f: LogFilter,
      ) => `SELECT intDiv(toUnixTimestamp64Milli(timestamp), ${stepParam}) * ${stepParam} AS bucket, level, count() AS n
         FROM ${table} WHERE ${where(f, bag)} GROUP BY bucket, level`;
      // Whole minutes from the rollup, the partly covered first and last minute from the logs.
      const span = options.source === 'logs' ? null : rollupSpan(filter, step);
      const rollup = span && !(await isRollupStale(transport, database, filter.tenant, span));
      const counts = rollup
        ? [rollupCountsSql(database, filter, span, stepParam, bag), ...edgeFilters(filter, span).map(logCounts)]
        : [logCounts(filter)];
      const sql =
        counts.length === 1
          ? `${counts[0]} ORDER BY bucket`
          : `SELECT bucket, level, sum(n) AS n FROM (${counts.join(' UNION ALL ')}) GROUP BY bucket, level ORDER BY bucket`;
      const rows = await transport.query<{ bucket: string; level: string; n: string }>(sql, bag.params);
      const byBucket = new Map<number, Record<string, number>>();
      for (let t = Math.floor(fromMs / step) * step; t <= toMs; t += step)
        byBucket.set(t, Object.fromEntries(LEVELS.map((l) => [l, 0])));
      for (const row of rows) {
        const counts = byBucket.get(Number(row.bucket));
        if (counts) counts[row.level] = Number(row.n);
      }
      return {
        interval_ms: step,
        buckets: [...byBucket].map(([t, counts]) => ({ time: new Date(t).toISOString(), counts })),
      };
    },

    async facet(filter, field, size) {
      const bag = new ParamBag();
      let expr: string;
      let extra = '';
      if (field.kind === 'attribute') {
        const key = bag.add(field.key, 'String');
        expr = `if(mapContains(attributes, ${key}), attributes[${key}], resource[${key}])`;
        extra = ` AND (mapContains(attributes, ${key}) OR mapContains(resource, ${key}))`;
      } else {
        expr = field.kind;
      }
      const rows = await transport.query<{ value: string; n: string }>(
        `SELECT ${expr} AS value, count() AS n FROM ${table} WHERE ${where(filter, bag)}${extra}
         GROUP BY value ORDER BY n DESC, value LIMIT ${bag.add(size, 'UInt32')}`,
        bag.params,
      );
      return rows.map((r) => ({ value: r.value, count: Number(r.n) }));
    },

    async sampleMessages(filter, limit) {
      const countBag = new ParamBag();
      const counted = await transport.query<{ n: string }>(
        `SELECT count() AS n FROM ${table} WHERE ${where(filter, countBag)}`,
        countBag.params,
      );
      const total = Number(counted[0]?.n ?? 0);
      if (total === 0) return { total, messages: [] };
      // Newest first in widening windows, as search reads: the newest records of a long range are read
      // without sorting the whole of it (bench/results/patterns.md).
      const rows: { ms: string; level: string; body: string }[] = [];
      // When every match fits the sample, one read of the range is all it takes.
      const plan =
        total > limit
          ? searchWindows(filter.fromNs, filter.toNs, now(), limit, windows)
          : [{ fromNs: filter.fromNs, toNs: filter.toNs }].values();
      for (let next = plan.next(); !next.done; next = plan.next(rows.length)) {
        const bag = new ParamBag();
        const sql = `SELECT toUnixTimestamp64Milli(timestamp) AS ms, level, body FROM ${table}
          WHERE ${where({ ...filter, ...next.value }, bag)}
          ORDER BY timestamp DESC, id DESC LIMIT ${bag.add(limit - rows.length, 'UInt32')}${await settingsForSearch()}`;
        rows.push(...(await transport.query<{ ms: string; level: string; body: string }>(sql, bag.params)));
        if (rows.length >= limit) break;
      }
      return { total, messages: rows.map((r) => ({ ms: Number(r.ms), level: r.level, body: r.body })) };
    },

    async tailStart() {
      // The server's clock, not ours: ingested_at is stamped by ClickHouse.
      const rows = await transport.query<{ us: string }>(
        `SELECT toString(toUnixTimestamp64Micro(now64(6)) - 1000000) AS us`,
      );
      return encodeCursor({ ns: rows[0]!.us, id: '' });
    },

    async tail(filter, after, limit) {
      const bag = new ParamBag();
      const position = decodeCursor(after);
      const rows = await transport.query<RecordRow & { ingested_us: string }>(
        `SELECT ${RECORD_COLUMNS}, toString(toUnixTimestamp64Micro(ingested_at)) AS ingested_us FROM ${table}
         WHERE ${where(filter, bag)}
           AND (ingested_at, id) > (fromUnixTimestamp64Micro(${bag.add(BigInt(position.ns), 'Int64')}, 'UTC'), ${bag.add(position.id, 'String')})
         ORDER BY ingested_at, id LIMIT ${bag.add(limit, 'UInt32')}`,
        bag.params,
      );
      const records = rows.map((r) => ({
        record: toRecord(r),
        position: encodeCursor({ ns: r.ingested_us, id: r.id }),
      }));
      return { records, position: records.at(-1)?.position ?? after };
    },

    async tailAny(tenant, filters, after, limit) {
      if (filters.length === 0) return { records: [], position: after };
      const bag = new ParamBag();
      const position = decodeCursor(after);
      const conditions = filters.map((f) => `(${matching(f, bag)})`);
      // The same expressions in the array and in WHERE: ClickHouse evaluates each once.
      const rows = await transport.query<RecordRow & { ingested_us: string; matches: number[] }>(
        `SELECT ${RECORD_COLUMNS}, toString(toUnixTimestamp64Micro(ingested_at)) AS ingested_us, [${conditions.join(', ')}] AS matches
         FROM ${table}
         WHERE tenant = ${bag.add(tenant, 'String')} AND (${conditions.join(' OR ')})
           AND (ingested_at, id) > (fromUnixTimestamp64Micro(${bag.add(BigInt(position.ns), 'Int64')}, 'UTC'), ${bag.add(position.id, 'String')})
         ORDER BY ingested_at, id LIMIT ${bag.add(limit, 'UInt32')}`,
        bag.params,
      );
      const records = rows.map((r) => ({
        record: toRecord(r),
        position: encodeCursor({ ns: r.ingested_us, id: r.id }),
        matches: r.matches.flatMap((m, i) => (Number(m) ? [i] : [])),
      }));
      return { records, position: records.at(-1)?.position ?? after };
    },

    async count(tenant) {
      const rows = await transport.query<{ n: string }>(
        `SELECT count() AS n FROM ${table} WHERE tenant = {tenant:String}`,
        { tenant },
      );
      return Number(rows[0]?.n ?? 0);
    },

    async deleteLogs(filter) {
      const bag = new ParamBag();
      const condition = where(filter, bag);
      const rows = await transport.query<{ n: string }>(
        `SELECT count() AS n FROM ${table} WHERE ${condition}`,
        bag.params,
      );
      const deleted = Number(rows[0]?.n ?? 0);
      if (deleted === 0) return { deleted };
      await markRollupStale(transport, database, filter, clustered);
      // Lightweight delete hides the rows at once and drops them at the next merge; sync = 2 waits
      // for every replica, so a search right after the answer no longer sees them.
      // A Distributed table cannot delete: each shard deletes from its own.
      await onEveryNode(
        transport,
        layout,
        `DELETE FROM ${layout.local('logs')}${layout.on} WHERE ${condition} SETTINGS lightweight_deletes_sync = 2`,
        bag.params,
      );
      return { deleted };
    },

    async usage(tenant) {
      const textBytes = (map: string) =>
        `arraySum(arrayMap((k, v) -> length(k) + length(v), mapKeys(${map}), mapValues(${map})))`;
      const rows = await transport.query<{
        service: string;
        records: string;
        bytes: string;
        oldest_ns: string;
        newest_ns: string;
      }>(
        `SELECT service, count() AS records, sum(length(body) + ${textBytes('attributes')} + ${textBytes('resource')}) AS bytes,
           toString(toUnixTimestamp64Nano(min(timestamp))) AS oldest_ns, toString(toUnixTimestamp64Nano(max(timestamp))) AS newest_ns
         FROM ${table} WHERE tenant = {tenant:String} GROUP BY service ORDER BY service`,
        { tenant },
      );
      return rows.map((r) => ({
        service: r.service,
        records: Number(r.records),
        bytes: Number(r.bytes),
        oldest: formatTimestamp(BigInt(r.oldest_ns)),
        newest: formatTimestamp(BigInt(r.newest_ns)),
      }));
    },

    ping: () => transport.ping(),
  };
}

function toRecord(row: RecordRow): LogRecord {
  return {
    id: row.id,
    tenant: row.tenant,
    timestamp: formatTimestamp(BigInt(row.ts_ns)),
    observed_timestamp: formatTimestamp(BigInt(row.observed_ns)),
    service: row.service,
    level: row.level,
    severity_text: row.severity_text,
    severity_number: Number(row.severity_number),
    body: row.body,
    attributes: row.attributes,
    resource: row.resource,
    trace_id: row.trace_id,
    span_id: row.span_id,
  };
}
