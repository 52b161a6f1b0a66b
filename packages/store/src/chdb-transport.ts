import { createRequire } from 'node:module';
import { clickHouseCodeOf, isTransientClickHouseCode } from './errors.ts';
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
}

// The HTTP transport sets the same. chdb (like clickhouse-local 26.x) prints 64-bit integers as
// JSON numbers, which lose precision above 2^53, and turns async_insert on by default. Settings
// are per connection: a SET, or an argument given to another Session on the same path, does not apply.
const CONNECTION_ARGS = ['--output_format_json_quote_64bit_integers=1', '--async_insert=0'];

/**
 * In-process ClickHouse through chdb. One session takes writes and DDL, a few more serve reads,
 * because a session runs one query at a time while sessions on one path share the engine.
 */
export function createChdbTransport(options: ChdbTransportOptions): ClickHouseTransport {
  const { Session } = loadChdb();
  const open = () => new Session(options.path, { connectionArgs: CONNECTION_ARGS });
  const writer = open();
  const readers = Array.from({ length: options.readers ?? 2 }, open);
  let next = 0;
  const reader = () => readers[next++ % readers.length] ?? writer;

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
      const session = reader();
      const result = await run('query', () =>
        params
          ? session.queryBindAsync(sql, params, { format: 'JSONEachRow' })
          : session.queryAsync(sql, { format: 'JSONEachRow' }),
      );
      return parseJsonEachRow<T>(result.text());
    },
    async insertJsonEachRow(table: string, rows: string | Buffer, insertOptions?: InsertOptions) {
      const settings: Record<string, string | number> = { ...INSERT_SETTINGS, ...insertOptions?.settings };
      if (insertOptions?.dedupToken) settings['insert_deduplication_token'] = insertOptions.dedupToken;
      await run('insert', () =>
        writer.insert({
          table,
          values: typeof rows === 'string' ? Buffer.from(rows) : rows,
          ...(insertOptions?.columns
            ? { columns: [...insertOptions.columns], format: 'JSONCompactEachRow' }
            : { format: 'JSONEachRow' }),
          settings,
        }),
      );
    },
    async ping() {
      await run('ping', () => reader().queryAsync('SELECT 1'));
    },
    async close() {
      for (const s of [writer, ...readers]) s.close();
    },
  };
}

// chdb (its engine is 543 MB) loads only when an in-process transport is made: the production
// images talk to a ClickHouse server over HTTP and leave it out (an optional peer dependency).
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
