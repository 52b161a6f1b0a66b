import { SHARDS_AT_ONCE } from './cluster.ts';
import type { Migration } from './migrations.ts';
import type { ClickHouseTransport } from './transport.ts';

/** The Idempotency-Keys of records stored from Kafka, each kept until its window ends (migration 5). */
export const IDEMPOTENCY_TABLE = 'idempotency_keys';

// Few rows, written once and read by key. The window is the processor's setting, so each row carries its own end,
// and the TTL drops a row once it has passed; reads filter on it too, as a TTL deletes only when parts merge.
export const idempotencyKeysMigration: Migration = {
  version: 5,
  description: 'idempotency keys of records stored from Kafka',
  statements: (L) => [
    `CREATE TABLE IF NOT EXISTS ${L.local(IDEMPOTENCY_TABLE)}${L.on} (
      tenant LowCardinality(String),
      key String,
      digest String,
      part String,
      source String,
      expires_at DateTime('UTC')
    )
    ENGINE = ${L.engine('MergeTree', IDEMPOTENCY_TABLE)}
    ORDER BY (tenant, key)
    TTL expires_at`,
    // Every row of a key on one shard; a lookup asks all of them anyway.
    ...(L.cluster ? [L.distributed(IDEMPOTENCY_TABLE, 'cityHash64(tenant, key)')] : []),
  ],
};

/** One part of a request whose records were stored: which request (tenant, key, digest), which part, from where. */
export interface StoredIdempotencyKey {
  tenant: string;
  key: string;
  digest: string;
  part: string;
  /** Where the part was read from (topic/partition/offset): a replay of that same message is not a retry. */
  source: string;
}

export interface IdempotencyKeyStore {
  /** The stored parts of these tenants' keys whose window has not ended. */
  find(wanted: readonly { tenant: string; key: string }[]): Promise<StoredIdempotencyKey[]>;
  /** Remembers parts as stored, for the window from now. */
  remember(keys: readonly StoredIdempotencyKey[]): Promise<void>;
}

// Over HTTP a query's parameters travel in its URL, which the server caps (http_max_uri_size, 1 MiB by default), and a
// batch of named documents has a key for each: one query takes keys of at most this many bytes, each byte counted as
// if percent-encoded.
const FIND_URL_BYTES = 256 * 1024;

/** Pure: `wanted` cut into runs whose tenants and keys fit FIND_URL_BYTES (a lone larger key goes alone). */
export function urlSizedSlices<T extends { tenant: string; key: string }>(wanted: readonly T[]): T[][] {
  const slices: T[][] = [];
  let start = 0;
  let bytes = 0;
  wanted.forEach((w, i) => {
    const size = 3 * (Buffer.byteLength(w.tenant) + Buffer.byteLength(w.key));
    if (i > start && bytes + size > FIND_URL_BYTES) {
      slices.push(wanted.slice(start, i));
      [start, bytes] = [i, 0];
    }
    bytes += size;
  });
  if (start < wanted.length) slices.push(wanted.slice(start));
  return slices;
}

/** The keys table of `db` (one server or a cluster's Distributed table), remembering each key for `windowS`. */
export function createIdempotencyKeyStore(
  transport: ClickHouseTransport,
  db: string,
  options: { windowS: number; clock?: () => number },
): IdempotencyKeyStore {
  const table = `${db}.${IDEMPOTENCY_TABLE}`;
  const clock = options.clock ?? Date.now;
  return {
    async find(wanted) {
      const found: StoredIdempotencyKey[] = [];
      for (const slice of urlSizedSlices(wanted)) {
        // The IN conditions use the table's order; `has` keeps only the exact pairs.
        const rows = await transport.query<StoredIdempotencyKey>(
          `SELECT tenant, key, digest, part, source FROM ${table}
           WHERE tenant IN {tenants:Array(String)} AND key IN {keys:Array(String)}
             AND has(arrayZip({tenants:Array(String)}, {keys:Array(String)}), (toString(tenant), key))
             AND expires_at > now()`,
          { tenants: slice.map((w) => w.tenant), keys: slice.map((w) => w.key) },
        );
        found.push(...rows);
      }
      return found;
    },
    async remember(keys) {
      if (keys.length === 0) return;
      const expires = Math.floor(clock() / 1000) + options.windowS;
      const rows = keys.map((k) => JSON.stringify({ ...k, expires_at: expires })).join('\n');
      await transport.insertJsonEachRow(table, rows, SHARDS_AT_ONCE);
    },
  };
}
