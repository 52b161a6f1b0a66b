import { createRequire } from 'node:module';
import { clickHouseCodeOf, isTransientClickHouseCode } from './errors.ts';
import { fileInsertSql } from './insert-read-as.ts';
import { createInsertSpool, type SpoolErrorReport } from './insert-spool.ts';
import {
  INSERT_SETTINGS,
  StoreError,
  type ClickHouseTransport,
  type InsertOptions,
  type SqlParams,
} from './transport.ts';

export interface ChdbTransportOptions {
  /** Data directory; MergeTree tables persist here across restarts. */
  path: string;
  /** Sessions that serve reads in parallel with the writer (one query at a time each). */
  readers?: number;
  /**
   * Told when an insert's spool file could not be written (at most once a minute, with the failures so far);
   * those rows went inside the statement instead, so nothing is lost, but the data disk refused a write.
   */
  onSpoolError?: SpoolErrorReport;
  /** Memory for decompressed skip-index blocks (`INDEX_CACHE_BYTES` by default; 0 keeps none). */
  indexCacheBytes?: number;
}

// The HTTP transport sets the same. chdb (like clickhouse-local 26.x) prints 64-bit integers as
// JSON numbers, which lose precision above 2^53, and turns async_insert on by default. Settings
// are per connection: a SET, or an argument given to another Session on the same path, does not apply.
const CONNECTION_ARGS = ['--output_format_json_quote_64bit_integers=1', '--async_insert=0'];

/**
 * The engine keeps no skip-index blocks in memory unless told to, so every search for an id read and
 * decompressed the message's bloom filters of the whole range again (4 bytes a record; measured in
 * `bench/results/disk-per-record.md`). 256 MiB holds them for about 60 million records.
 */
export const INDEX_CACHE_BYTES = 256 * 1024 * 1024;

const DRAIN_LEFTOVER = 'SELECT 1';
// Below this a batch goes inside the statement: the file costs more than the faster read saves.
const SPOOL_MIN_BYTES = 64 * 1024;
const done: Promise<void> = Promise.resolve();
const ignore = (): void => undefined;

/**
 * In-process ClickHouse through chdb. One session takes writes and DDL, a few more serve reads,
 * because a session runs one query at a time while sessions on one path share the engine.
 */
export function createChdbTransport(options: ChdbTransportOptions): ClickHouseTransport {
  const chdb = loadChdb();
  const indexCache = `--index_uncompressed_cache_size=${options.indexCacheBytes ?? INDEX_CACHE_BYTES}`;
  const open = (): Session => new chdb.Session(options.path, { connectionArgs: [...CONNECTION_ARGS, indexCache] });
  const writer = open();
  const spool = createInsertSpool(options.path, options.onSpoolError);
  const readers = Array.from({ length: Math.max(1, options.readers ?? 2) }, () => ({
    session: open(),
    queued: 0,
    tail: done,
  }));

  // A session runs one query at a time, and one whose query failed part-way hands the rest of that result to
  // its next query as that query's answer. So each reader takes its queries in turn, the least busy reader
  // takes the next one, and after a failure a throwaway query takes the leftover before anything else runs.
  const onReader = <T>(fn: (session: Session) => Promise<T>): Promise<T> => {
    const reader = readers.reduce((least, r) => (r.queued < least.queued ? r : least));
    reader.queued++;
    const result = reader.tail.then(() => fn(reader.session));
    reader.tail = result.then(
      () => undefined,
      () => reader.session.queryAsync(DRAIN_LEFTOVER).then(ignore, ignore),
    );
    void reader.tail.then(() => reader.queued--);
    return result;
  };

  const run = async <T>(what: string, fn: () => Promise<T>): Promise<T> => {
    try {
      return await fn();
    } catch (err) {
      throw toStoreError(what, err);
    }
  };

  return {
    async command(sql, params) {
      await run('command', () => (params ? writer.queryBindAsync(sql, params) : writer.queryAsync(sql)));
    },
    async query<T>(sql: string, params?: SqlParams) {
      const result = await run('query', () =>
        onReader((session) =>
          params
            ? session.queryBindAsync(sql, params, { format: 'JSONEachRow' })
            : session.queryAsync(sql, { format: 'JSONEachRow' }),
        ),
      );
      return parseJsonEachRow<T>(result.text());
    },
    async insertJsonEachRow(table: string, rows: string | Buffer, insertOptions?: InsertOptions) {
      const settings: Record<string, string | number> = { ...INSERT_SETTINGS, ...insertOptions?.settings };
      if (insertOptions?.dedupToken) settings['insert_deduplication_token'] = insertOptions.dedupToken;
      const values = typeof rows === 'string' ? Buffer.from(rows) : rows;
      const { columns, readAs } = insertOptions ?? {};
      // The spool is only the faster way in: when its file cannot be written the rows go inside the statement.
      const file = columns && readAs && values.length >= SPOOL_MIN_BYTES ? await spool.write(values) : undefined;
      if (columns && readAs && file !== undefined) {
        try {
          await run('insert', () => writer.queryAsync(fileInsertSql(table, columns, readAs, file, settings)));
        } finally {
          await spool.remove(file);
        }
        return;
      }
      await run('insert', () =>
        writer.insert({
          table,
          values,
          ...(insertOptions?.columns
            ? { columns: [...insertOptions.columns], format: 'JSONCompactEachRow' }
            : { format: 'JSONEachRow' }),
          settings,
        }),
      );
    },
    async ping() {
      await run('ping', () => onReader((session) => session.queryAsync('SELECT 1')));
    },
    async close() {
      for (const s of [writer, ...readers.map((r) => r.session)]) s.close();
      spool.close();
    },
  };
}

// chdb (its engine is 543 MB) loads only when an in-process transport is made: the production
// images talk to a ClickHouse server over HTTP and leave it out (an optional peer dependency).
type Session = InstanceType<typeof import('chdb').Session>;
const loadChdb = (): typeof import('chdb') => createRequire(import.meta.url)('chdb');

/** Pure: parses JSONEachRow text (one JSON object per line) into rows. */
export function parseJsonEachRow<T>(text: string): T[] {
  const rows: T[] = [];
  for (const line of text.split('\n')) if (line) rows.push(JSON.parse(line) as T);
  return rows;
}

function toStoreError(what: string, err: unknown): StoreError {
  const message = err instanceof Error ? err.message : String(err);
  const code = (err as { clickhouseCode?: number }).clickhouseCode ?? clickHouseCodeOf(message);
  return new StoreError(`Cannot run ${what}: ${message}`, {
    transient: isTransientClickHouseCode(code),
    clickhouseCode: code,
    cause: err,
  });
}
