import { randomUUID } from 'node:crypto';
import { formatTimestamp, LIMITS, normalizeRecord, nowNs, type IngestResponse, type RecordError } from '@instant-logs/schema';
import { QueueFullError, QueueRejectedError, QueueUnavailableError, type LogQueue, type RecordChunk } from '@instant-logs/queue';
import { CodedError } from '@instant-logs/service-kit';
import { injectTraceHeaders } from '@instant-logs/telemetry';
import type { DecodedItem } from './decode-body.ts';
import type { CollectorMetrics } from './metrics.ts';

// A response lists this many record errors at most; `rejected` still counts them all.
const MAX_LISTED_ERRORS = 100;

export interface AcceptDeps {
  queue: LogQueue;
  metrics: CollectorMetrics;
  clock: () => number;
}

/**
 * Normalises decoded records, publishes the good ones and waits for the queue to make them durable.
 * Bad records are reported by index and never hold back their neighbours; nothing is published when none is good.
 */
export async function acceptRecords(items: DecodedItem[], tenant: string, deps: AcceptDeps): Promise<IngestResponse> {
  if (items.length > LIMITS.maxRecordsPerRequest) {
    throw new CodedError(413, 'TOO_MANY_RECORDS', `a request may hold at most ${LIMITS.maxRecordsPerRequest} records; split it`);
  }
  const receivedNs = nowNs(deps.clock());
  const ctx = { tenant, receivedNs, receivedText: formatTimestamp(receivedNs), newId: randomUUID };
  const lines: string[] = [];
  const errors: RecordError[] = [];
  items.forEach((item, index) => {
    if ('error' in item) {
      errors.push({ index, ...item.error });
      return;
    }
    const result = normalizeRecord(item.record, ctx);
    if (result.ok) lines.push(JSON.stringify(result.record));
    else errors.push({ index, ...result.error });
  });
  for (const e of errors) deps.metrics.rejected.inc({ reason: reasonOf(e.field) });

  if (lines.length > 0) await publish(deps, { tenant, rows: lines.length, data: lines.join('\n'), trace: injectTraceHeaders() });
  deps.metrics.accepted.inc(lines.length);

  return { accepted: lines.length, rejected: errors.length, errors: errors.slice(0, MAX_LISTED_ERRORS) };
}

async function publish(deps: AcceptDeps, chunk: RecordChunk): Promise<void> {
  try {
    await deps.queue.publish(chunk);
  } catch (err) {
    if (err instanceof QueueFullError) {
      throw new CodedError(429, 'QUEUE_FULL', `${err.message}; retry later`, { headers: { 'retry-after': String(err.retryAfterSeconds) } });
    }
    if (err instanceof QueueUnavailableError) {
      throw new CodedError(503, 'QUEUE_UNAVAILABLE', `records were not stored: ${err.message}`, { headers: { 'retry-after': String(err.retryAfterSeconds) } });
    }
    if (err instanceof QueueRejectedError) throw new CodedError(500, 'STORE_REJECTED', `records were not stored: ${err.message}`);
    throw err;
  }
}

const REASONS = new Set(['timestamp', 'time', 'observed_timestamp', 'service', 'level', 'severity', 'severity_text', 'severity_number', 'message', 'attributes', 'resource', 'trace_id', 'span_id', '(record)']);

/** Pure: a bounded metric label for a rejected field (attribute paths would be unbounded). */
function reasonOf(field: string): string {
  const root = field.split('.')[0] ?? field;
  if (root === '(record)') return 'record';
  return REASONS.has(root) ? root : 'other';
}
