import { formatTimestamp, LIMITS, newRecordId, normalizeRecord, nowNs, queuedLine, type IngestResponse, type RecordError } from '@instant-logs/schema';
import { QueueFullError, QueueRejectedError, QueueUnavailableError, type LogQueue, type RecordChunk } from '@instant-logs/queue';
import { injectTraceHeaders } from '@instant-logs/telemetry';
import type { DecodedItem } from './decode-body.ts';
import type { IdempotencyClaim, IdempotencyLedger } from './idempotency.ts';
import type { CollectorMetrics } from './metrics.ts';
import { throttledError, type TenantLimits } from './tenant-limits.ts';
import { COLLECTOR_ERRORS } from './errors.ts';

// About 5 ms of normalisation on this project's reference machine between two turns of the event loop.
const SLICE_RECORDS = 2000;
const nextTurn = () => new Promise<void>((resolve) => setImmediate(resolve));

// A response lists this many record errors at most; `rejected` still counts them all.
const MAX_LISTED_ERRORS = 100;

export interface AcceptDeps {
  queue: LogQueue;
  metrics: CollectorMetrics;
  clock: () => number;
  /** Per-tenant rate limits and retention; absent = unlimited, table-default retention. */
  tenants?: TenantLimits;
  /** Answers remembered per Idempotency-Key; absent = the header is ignored. */
  idempotency?: IdempotencyLedger;
}

/** What became of one item: the id it is stored under, or why it was refused. Reported once the batch is durable. */
export type ItemOutcome = { id: string } | { error: RecordError };

/**
 * Normalises decoded records, publishes the good ones and waits for the queue to make them durable.
 * Bad records are reported by index and never hold back their neighbours; nothing is published when none is good.
 * `each`, when given, hears every item's outcome after the publish succeeded.
 */

export async function acceptRecords(
  items: DecodedItem[],
  tenant: string,
  deps: AcceptDeps,
  each?: (index: number, outcome: ItemOutcome) => void,
  idempotency?: IdempotencyClaim,
): Promise<IngestResponse> {
  if (items.length > LIMITS.maxRecordsPerRequest) {
    throw COLLECTOR_ERRORS.TOO_MANY_RECORDS({ max: LIMITS.maxRecordsPerRequest });
  }
  const retentionDays = deps.tenants ? admit(items, tenant, deps.tenants, deps.metrics) : undefined;
  const receivedMs = deps.clock();
  const receivedNs = nowNs(receivedMs);
  const ctx = { tenant, receivedNs, receivedText: formatTimestamp(receivedNs), newId: () => newRecordId(receivedMs) };
  const lines: string[] = [];
  const errors: RecordError[] = [];
  // Only callers that answer per item (Elasticsearch bulk) pay for remembering every outcome.
  const outcomes: ItemOutcome[] | undefined = each ? [] : undefined;
  for (let index = 0; index < items.length; index++) {
    // A large request yields between slices, so health checks and other requests are not kept waiting behind it.
    if (index > 0 && index % SLICE_RECORDS === 0) await nextTurn();
    const item = items[index]!;
    if ('error' in item) {
      errors.push({ index, ...item.error });
      outcomes?.push({ error: errors.at(-1)! });
      continue;
    }
    const result = normalizeRecord(item.record, ctx);
    if (result.ok) {
      lines.push(queuedLine(result.record, retentionDays));
      outcomes?.push({ id: result.record.id });
    } else {
      errors.push({ index, ...result.error });
      outcomes?.push({ error: errors.at(-1)! });
    }
  }
  for (const e of errors) deps.metrics.rejected.inc({ reason: reasonOf(e.field) });

  const response = { accepted: lines.length, rejected: errors.length, errors: errors.slice(0, MAX_LISTED_ERRORS) };
  if (lines.length > 0) {
    const chunk = { tenant, rows: lines.length, data: lines.join('\n'), trace: injectTraceHeaders() };
    await publish(deps, idempotency ? { ...chunk, idempotency: { ...idempotency, response } } : chunk);
  }
  deps.metrics.accepted.inc(lines.length);
  outcomes?.forEach((outcome, index) => each!(index, outcome));
  return response;
}

/**
 * Charges the whole decoded request against the tenant's limits before normalising, so a refused
 * request costs no validation work and a tenant sending invalid records is throttled like any
 * other; nothing is refunded for records validation then rejects. Returns the tenant's retention.
 */
function admit(items: DecodedItem[], tenant: string, limits: TenantLimits, metrics: CollectorMetrics): number | undefined {
  const policy = limits.policy(tenant);
  // The decoded records' JSON size is the same measure for every protocol (NDJSON, OTLP protobuf,
  // Loki, syslog); it is computed only for tenants that have a bytes limit.
  const bytes = policy.bytesPerSecond === undefined ? 0 : decodedBytes(items);
  const refusal = limits.take(tenant, items.length, bytes);
  if (refusal) {
    metrics.throttled.inc({ tenant: limits.label(tenant), limit: refusal.limit });
    throw throttledError(refusal);
  }
  return policy.retentionDays;
}

function decodedBytes(items: DecodedItem[]): number {
  let total = 0;
  for (const item of items) if ('record' in item) total += Buffer.byteLength(JSON.stringify(item.record) ?? '');
  return total;
}

async function publish(deps: AcceptDeps, chunk: RecordChunk): Promise<void> {
  try {
    await deps.queue.publish(chunk);
  } catch (err) {
    if (err instanceof QueueFullError) {
      throw COLLECTOR_ERRORS.QUEUE_FULL({ reason: err.message, headers: { 'retry-after': String(err.retryAfterSeconds) } });
    }
    if (err instanceof QueueUnavailableError) {
      throw COLLECTOR_ERRORS.QUEUE_UNAVAILABLE({ reason: err.message, headers: { 'retry-after': String(err.retryAfterSeconds) } });
    }
    if (err instanceof QueueRejectedError) throw COLLECTOR_ERRORS.STORE_REJECTED({ reason: err.message });
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
