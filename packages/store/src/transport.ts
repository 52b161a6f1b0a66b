/** Values bound to `{name:Type}` placeholders; never spliced into SQL text. */
export type SqlParams = Record<string, string | number | bigint | boolean | readonly string[] | readonly number[]>;

export interface InsertOptions {
  /** Makes a retried insert of the same rows a no-op (ClickHouse insert_deduplication_token). */
  dedupToken?: string;
  /** Settings for this insert besides INSERT_SETTINGS, which they override. */
  settings?: Readonly<Record<string, string | number>>;
  /** The rows are JSON arrays of these columns, in this order (JSONCompactEachRow), not objects. */
  columns?: readonly string[];
  /**
   * With `columns`: the type each column's values are read as, converted to the table's afterwards. Reading
   * plain strings and converting whole blocks to LowCardinality costs ClickHouse less than reading each value
   * into the dictionary (bench/results/insert-format.md).
   */
  readAs?: readonly string[];
}

/**
 * The narrow port the log store needs from ClickHouse. Two adapters implement it with the same
 * SQL: chdb in-process (embedded mode) and @clickhouse/client over HTTP (production).
 */
export interface ClickHouseTransport {
  /** Runs a statement that returns no rows: DDL, INSERT … SELECT, OPTIMIZE. */
  command(sql: string, params?: SqlParams): Promise<void>;
  /** Runs a query and returns its rows, decoded from JSONEachRow. 64-bit integers arrive as strings. */
  query<T>(sql: string, params?: SqlParams): Promise<T[]>;
  /** Inserts rows given as JSONEachRow text (JSONCompactEachRow with `columns`) into a database-qualified table. */
  insertJsonEachRow(table: string, rows: string | Buffer, options?: InsertOptions): Promise<void>;
  /** Cheap liveness check; rejects when the server cannot answer. */
  ping(): Promise<void>;
  close(): Promise<void>;
}

/** Raised by a transport; `transient` tells the caller whether a retry can succeed. */
export class StoreError extends Error {
  readonly transient: boolean;
  readonly clickhouseCode: number | undefined;
  constructor(message: string, options: { transient: boolean; clickhouseCode?: number; cause?: unknown }) {
    super(message, { cause: options.cause });
    this.name = 'StoreError';
    this.transient = options.transient;
    this.clickhouseCode = options.clickhouseCode;
  }
}

/** Whether retrying can help: a StoreError says so itself; anything else (a bug, a socket error thrown raw) is given the benefit of the doubt. */
export function isRetryable(err: unknown): boolean {
  return !(err instanceof StoreError) || err.transient;
}

/** Settings of every insert, the same on both transports so they write alike. */
export const INSERT_SETTINGS = Object.freeze({
  async_insert: 0,
  date_time_input_format: 'best_effort',
  // Skip indexes are built when parts merge instead of on the hot path: measured +26% ingest
  // throughput and -17% CPU per record (bench/results/embedded.md); unindexed fresh parts are
  // still searched correctly, only without pruning until their first merge. The log store builds
  // the few that searches need in fresh parts on insert where the server can choose (log-store.ts).
  materialize_skip_indexes_on_insert: 0,
  // A retried insert the logs table drops as a duplicate must not reach the rollup's view either:
  // the view's block then carries an id derived from the logs block and is dropped too.
  deduplicate_blocks_in_dependent_materialized_views: 1,
});
