// What the in-process benches share: the yardstick's bodies normalised and queued as the collector
// does, and a transport whose reads skip the query condition cache.
import { newRecordId, normalizeRecord, nowNs, queuedLine, type LogRecord } from '@instant-logs/schema';
import type { ClickHouseTransport, SqlParams } from '@instant-logs/store';

/**
 * The records of NDJSON bodies normalised as the collector normalises them, body k received
 * `msPerBody` × k after `toMs`. Bench data is valid by construction: a rejected record throws.
 */
export function* normalisedRecords(bodies: readonly Buffer[], toMs: number, msPerBody: number): Generator<LogRecord> {
  for (const [k, body] of bodies.entries()) {
    const receivedMs = Math.floor(toMs + k * msPerBody);
    const ctx = { tenant: 'default', receivedNs: nowNs(receivedMs), newId: () => newRecordId(receivedMs) };
    for (const line of body.toString('utf8').split('\n')) {
      if (!line) continue;
      const result = normalizeRecord(JSON.parse(line), ctx);
      if (!result.ok) throw new Error(`Record rejected: ${result.error.field} ${result.error.message}`);
      yield result.record;
    }
  }
}

/** The records' queued lines in batches of `rows` lines, the last one shorter. */
export function* queuedBatches(records: Iterable<LogRecord>, rows: number): Generator<Buffer> {
  let lines: string[] = [];
  for (const record of records) {
    lines.push(queuedLine(record));
    if (lines.length === rows) {
      yield Buffer.from(lines.join('\n'));
      lines = [];
    }
  }
  if (lines.length > 0) yield Buffer.from(lines.join('\n'));
}

/**
 * The transport with `use_query_condition_cache = 0` on every read, so a warm run reads the indexes
 * again instead of the cache of granules an earlier run ruled out.
 */
export function withoutConditionCache(transport: ClickHouseTransport): ClickHouseTransport {
  return {
    ...transport,
    query: <T>(sql: string, params?: SqlParams) =>
      transport.query<T>(
        sql.includes(' SETTINGS ')
          ? `${sql}, use_query_condition_cache = 0`
          : `${sql} SETTINGS use_query_condition_cache = 0`,
        params,
      ),
  };
}
