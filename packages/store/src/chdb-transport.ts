import { Session } from 'chdb';
import { clickHouseCodeOf, isTransientClickHouseCode } from './errors.ts';
import { StoreError, type ClickHouseTransport, type InsertOptions, type SqlParams } from './transport.ts';

export interface ChdbTransportOptions {
  /** Data directory; MergeTree tables persist here across restarts. */
  path: string;
  /** Sessions that serve reads in parallel with the writer (one query at a time each). */
  readers?: number;
}

/**
 * In-process ClickHouse through chdb. One session takes writes and DDL, a few more serve reads,
 * because a session runs one query at a time while sessions on one path share the engine.
 */
export function createChdbTransport(options: ChdbTransportOptions): ClickHouseTransport {
  const writer = new Session(options.path);
  const readers = Array.from({ length: options.readers ?? 2 }, () => new Session(options.path));
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
        params ? session.queryBindAsync(sql, params, { format: 'JSONEachRow' }) : session.queryAsync(sql, { format: 'JSONEachRow' }),
      );
      return parseJsonEachRow<T>(result.text());
    },
    async insertJsonEachRow(table: string, rows: string | Buffer, insertOptions?: InsertOptions) {
      const settings: Record<string, string | number> = { date_time_input_format: 'best_effort' };
      if (insertOptions?.dedupToken) settings['insert_deduplication_token'] = insertOptions.dedupToken;
      await run('insert', () => writer.insert({ table, values: typeof rows === 'string' ? Buffer.from(rows) : rows, format: 'JSONEachRow', settings }));
    },
    async ping() {
      await run('ping', () => reader().queryAsync('SELECT 1'));
    },
    async close() {
      for (const s of [writer, ...readers]) s.close();
    },
  };
}

/** Pure: parses JSONEachRow text (one JSON object per line) into rows. */
export function parseJsonEachRow<T>(text: string): T[] {
  const rows: T[] = [];
  for (const line of text.split('\n')) if (line) rows.push(JSON.parse(line) as T);
  return rows;
}

function toStoreError(what: string, err: unknown): StoreError {
  const message = err instanceof Error ? err.message : String(err);
  const code = (err as { clickhouseCode?: number }).clickhouseCode ?? clickHouseCodeOf(message);
  return new StoreError(`Cannot run ${what}: ${message}`, { transient: isTransientClickHouseCode(code), clickhouseCode: code, cause: err });
}
