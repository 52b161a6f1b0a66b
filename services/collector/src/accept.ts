import { LIMITS, type IngestResponse } from '@instant-logs/schema';
import {
  groupedByService,
  groupLinesByService,
  QueueFullError,
  QueueRejectedError,
  QueueUnavailableError,
  type LogQueue,
  type RecordChunk,
} from '@instant-logs/queue';
import { injectTraceHeaders } from '@instant-logs/telemetry';
import type { DecodedItem } from './decode-body.ts';
import type { IdempotencyClaim, IdempotencyLedger } from './idempotency.ts';
import type { CollectorMetrics } from './metrics.ts';
import type { IngestThreads } from './ingest-threads.ts';
import { decodedBytes, normaliseInto, rejectionReasons, startBatch, type ItemOutcome } from './normalise-batch.ts';
import { MAX_LISTED_ERRORS, tooManyRecords, type BodyJob } from './prepare-body.ts';
import { throttledError, type TenantLimits } from './tenant-limits.ts';
import { COLLECTOR_ERRORS } from './errors.ts';

// About 5 ms of normalisation on this project's reference machine between two turns of the event loop.
const SLICE_RECORDS = 2000;
const nextTurn = () => new Promise<void>((resolve) => setImmediate(resolve));

export interface AcceptDeps {
  queue: LogQueue;
  metrics: CollectorMetrics;
  clock: () => number;
  /** Per-tenant rate limits and retention; absent = unlimited, table-default retention. */
  tenants?: TenantLimits;
  /** Answers remembered per Idempotency-Key; absent = the header is ignored. */
  idempotency?: IdempotencyLedger;
  /** Threads that decode and normalise whole bodies off the event loop; absent = in slices on it. */
  ingestThreads?: IngestThreads;
}

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
  documentKeys?: readonly (string | undefined)[],
): Promise<IngestResponse> {
  if (items.length > LIMITS.maxRecordsPerRequest) throw tooManyRecords();
  // Charged before normalising, so a refused request costs no validation work.
  const retentionDays = deps.tenants
    ? charge(tenant, items.length, () => decodedBytes(items), deps.tenants, deps.metrics)
    : undefined;
  const batch = startBatch(tenant, deps.clock(), retentionDays, each !== undefined);
  for (let start = 0; start < items.length; start += SLICE_RECORDS) {
    // A large request yields between slices, so health checks and other requests are not kept waiting behind it.
    if (start > 0) await nextTurn();
    normaliseInto(batch, items, start, Math.min(items.length, start + SLICE_RECORDS));
  }
  // Each stored line's document key: a document refused here may come again, corrected, under the same key.
  const lineKeys = documentKeys && batch.outcomes?.flatMap((o, i) => ('error' in o ? [] : [documentKeys[i] ?? null]));
  const response = await publishAccepted(
    tenant,
    batch.lines.length,
    () => {
      const { data, runs } = groupLinesByService(batch.lines, batch.services);
      const keys = lineKeys?.some((k) => k !== null) ? groupedByService(lineKeys, batch.services) : undefined;
      return { data, services: runs, ...(keys ? { documentKeys: keys } : {}) };
    },
    { accepted: batch.lines.length, rejected: batch.errors.length, errors: batch.errors.slice(0, MAX_LISTED_ERRORS) },
    rejectionReasons(batch.errors),
    deps,
    idempotency,
  );
  batch.outcomes?.forEach((outcome, index) => each!(index, outcome));
  return response;
}

/**
 * A POST /api/v1/logs body, decoded and normalised on an ingest thread, then charged, published and
 * answered here. Unlike acceptRecords, a tenant over its rate is refused after the thread's work (its
 * record count is only known then), which costs that thread, never the event loop.
 */
export async function acceptBody(
  job: Omit<BodyJob, 'retentionDays' | 'measureBytes'>,
  threads: IngestThreads,
  deps: AcceptDeps,
  idempotency?: IdempotencyClaim,
): Promise<IngestResponse> {
  const policy = deps.tenants?.policy(job.tenant);
  const prepared = await threads.prepare({
    ...job,
    retentionDays: policy?.retentionDays,
    measureBytes: policy?.bytesPerSecond !== undefined,
  });
  if (deps.tenants) charge(job.tenant, prepared.items, () => prepared.decodedBytes, deps.tenants, deps.metrics);
  const response = { accepted: prepared.rows, rejected: prepared.rejected, errors: prepared.errors };
  const lines = () => ({ data: prepared.data, services: prepared.services });
  return publishAccepted(job.tenant, prepared.rows, lines, response, prepared.reasons, deps, idempotency);
}

async function publishAccepted(
  tenant: string,
  rows: number,
  lines: () => Pick<RecordChunk, 'data' | 'services' | 'documentKeys'>,
  response: IngestResponse,
  reasons: Record<string, number>,
  deps: AcceptDeps,
  idempotency: IdempotencyClaim | undefined,
): Promise<IngestResponse> {
  for (const [reason, count] of Object.entries(reasons)) deps.metrics.rejected.inc({ reason }, count);
  if (rows > 0) {
    const chunk: RecordChunk = {
      tenant,
      rows,
      ...lines(),
      trace: injectTraceHeaders(),
      ...(idempotency ? { idempotency: { ...idempotency, response } } : {}),
    };
    await publish(deps, chunk);
  }
  deps.metrics.accepted.inc(rows);
  return response;
}

/** Charges a request against the tenant's limits, throwing the throttling error; nothing is refunded for records validation rejects. Returns the tenant's retention. */
function charge(
  tenant: string,
  items: number,
  bytes: () => number,
  limits: TenantLimits,
  metrics: CollectorMetrics,
): number | undefined {
  const policy = limits.policy(tenant);
  // Measured only for tenants that have a bytes limit.
  const refusal = limits.take(tenant, items, policy.bytesPerSecond === undefined ? 0 : bytes());
  if (refusal) {
    metrics.throttled.inc({ tenant: limits.label(tenant), limit: refusal.limit });
    throw throttledError(refusal);
  }
  return policy.retentionDays;
}

async function publish(deps: AcceptDeps, chunk: RecordChunk): Promise<void> {
  try {
    await deps.queue.publish(chunk);
  } catch (err) {
    if (err instanceof QueueFullError) {
      throw COLLECTOR_ERRORS.QUEUE_FULL({
        reason: err.message,
        headers: { 'retry-after': String(err.retryAfterSeconds) },
      });
    }
    if (err instanceof QueueUnavailableError) {
      throw COLLECTOR_ERRORS.QUEUE_UNAVAILABLE({
        reason: err.message,
        headers: { 'retry-after': String(err.retryAfterSeconds) },
      });
    }
    if (err instanceof QueueRejectedError) throw COLLECTOR_ERRORS.STORE_REJECTED({ reason: err.message });
    throw err;
  }
}
