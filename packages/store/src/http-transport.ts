import { Readable } from 'node:stream';
import { text } from 'node:stream/consumers';
import { ClickHouseLogLevel, createClient, type ClickHouseSettings } from '@clickhouse/client';
import { clickHouseCodeOf, isTransientClickHouseCode } from './errors.ts';
import { isPlainName, isPlainTable, readAsStructure } from './insert-read-as.ts';
import {
  type ClickHouseTransport,
  INSERT_SETTINGS,
  type InsertOptions,
  type SqlParams,
  StoreError,
} from './transport.ts';

export interface HttpTransportOptions {
  /** e.g. `http://clickhouse:8123` */
  url: string;
  username?: string;
  password?: string;
  /** Default database for unqualified names; the store qualifies every name anyway. */
  database?: string;
  /** Per request; a timed-out request is a transient error (it may still have been applied). */
  requestTimeoutMs?: number;
}

// The chdb transport sets the same: 64-bit integers leave as JSON strings (exact above 2^53), and
// an INSERT is written before it returns, whatever the server's async_insert default says.
const SETTINGS: ClickHouseSettings = { output_format_json_quote_64bit_integers: 1, async_insert: 0 };
// default_format rather than an appended FORMAT clause, so a trailing `;` or comment works as in chdb.
// wait_end_of_query: the server buffers the whole result, so an error part-way through a query
// still arrives as an error status, not a truncated 200 body. Results are returned whole anyway.
const QUERY_SETTINGS: ClickHouseSettings = { default_format: 'JSONEachRow', wait_end_of_query: 1 };

// Socket errors after which a retry can reach the server.
const NETWORK_CODES = new Set([
  'ECONNREFUSED',
  'ECONNRESET',
  'ECONNABORTED',
  'EPIPE',
  'ETIMEDOUT',
  'EHOSTUNREACH',
  'ENETUNREACH',
  'EAI_AGAIN',
]);

interface Request {
  params?: SqlParams | undefined;
  values?: Readable;
  settings?: ClickHouseSettings;
}

/** ClickHouse over HTTP through @clickhouse/client, with the same semantics as the chdb transport. */
export function createHttpTransport(options: HttpTransportOptions): ClickHouseTransport {
  const client = createClient({
    url: options.url,
    username: options.username ?? 'default',
    password: options.password ?? '',
    ...(options.database ? { database: options.database } : {}),
    request_timeout: options.requestTimeoutMs ?? 30_000,
    clickhouse_settings: SETTINGS,
    // Every failure reaches the caller as a StoreError; the client's own logging would say it twice.
    log: { level: ClickHouseLogLevel.OFF },
  });

  // exec with ignore_error_response keeps the HTTP status, which tells a proxy's 503 page (transient)
  // from a 4xx without a ClickHouse code (permanent); query/command/insert would drop it.
  const send = async (what: string, sql: string, request: Request = {}): Promise<string> => {
    let status: number | undefined;
    let headerCode: unknown;
    let body: string;
    try {
      const result = await client.exec({
        query: sql,
        ...(request.params ? { query_params: request.params } : {}),
        ...(request.values ? { values: request.values } : {}),
        ...(request.settings ? { clickhouse_settings: request.settings } : {}),
        ignore_error_response: true,
      });
      status = result.http_status_code;
      headerCode = result.response_headers['x-clickhouse-exception-code'];
      body = await text(result.stream);
    } catch (err) {
      const message = err instanceof Error ? err.message : String(err);
      throw new StoreError(`Cannot run ${what}: ${message}`, { transient: isNetworkFailure(err), cause: err });
    }
    if (status !== undefined && status < 400 && headerCode === undefined) return body;
    const code = headerCode !== undefined ? Number(headerCode) : clickHouseCodeOf(body);
    const transient = code !== undefined ? isTransientClickHouseCode(code) : status === undefined || status >= 500;
    const message = body.trim() || `HTTP ${status}`;
    throw new StoreError(`Cannot run ${what}: ${message}`, { transient, clickhouseCode: code });
  };

  return {
    async command(sql, params) {
      await send('command', sql, { params });
    },
    async query<T>(sql: string, params?: SqlParams) {
      const body = await send('query', sql, { params, settings: QUERY_SETTINGS });
      const rows: T[] = [];
      for (const line of body.split('\n')) if (line) rows.push(JSON.parse(line) as T);
      return rows;
    },
    async insertJsonEachRow(table: string, rows: string | Buffer, insertOptions?: InsertOptions) {
      // The table name is spliced into SQL: accept only what chdb's insert accepts.
      if (!isPlainTable(table)) {
        throw new StoreError(`Cannot run insert: invalid table name ${JSON.stringify(table)}`, { transient: false });
      }
      const settings: ClickHouseSettings = { ...INSERT_SETTINGS, ...insertOptions?.settings };
      if (insertOptions?.dedupToken) settings.insert_deduplication_token = insertOptions.dedupToken;
      const columns = insertOptions?.columns;
      if (columns?.some((c) => !isPlainName(c))) {
        throw new StoreError(`Cannot run insert: invalid column list ${JSON.stringify(columns)}`, { transient: false });
      }
      // The rows are JSON text already: send the bytes as they are.
      const values = Readable.from([typeof rows === 'string' ? Buffer.from(rows) : rows], { objectMode: false });
      const readAs = insertOptions?.readAs;
      const into = !columns
        ? `${table} FORMAT JSONEachRow`
        : readAs
          ? `${table} (${columns.join(', ')}) SELECT * FROM input(${structureOf(columns, readAs)}) FORMAT JSONCompactEachRow`
          : `${table} (${columns.join(', ')}) FORMAT JSONCompactEachRow`;
      await send('insert', `INSERT INTO ${into}`, { values, settings });
    },
    async ping() {
      // A query rather than /ping, which answers without checking credentials.
      await send('ping', 'SELECT 1');
    },
    async close() {
      await client.close();
    },
  };
}

function structureOf(columns: readonly string[], readAs: readonly string[]): string {
  try {
    return readAsStructure(columns, readAs);
  } catch (err) {
    throw new StoreError(`Cannot run insert: ${(err as Error).message}`, { transient: false });
  }
}

function isNetworkFailure(err: unknown): boolean {
  if (!(err instanceof Error)) return false;
  const code = (err as { code?: unknown }).code;
  if (typeof code === 'string' && NETWORK_CODES.has(code)) return true;
  if (err.message === 'Timeout error.') return true; // @clickhouse/client's request_timeout
  const nested = [err.cause, ...(err instanceof AggregateError ? err.errors : [])];
  return nested.some((e) => e !== err && isNetworkFailure(e));
}
