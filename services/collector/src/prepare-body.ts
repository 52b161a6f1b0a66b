import { groupLinesByService, type ServiceRun } from '@instant-logs/queue';
import { LIMITS, type RecordError } from '@instant-logs/schema';
import { COLLECTOR_ERRORS } from './errors.ts';
import { decodeBody } from './decode-body.ts';
import { decodedBytes, normaliseInto, rejectionReasons, startBatch } from './normalise-batch.ts';

// A response lists this many record errors at most; `rejected` still counts them all.
export const MAX_LISTED_ERRORS = 100;

/** One POST /api/v1/logs body, as handed to an ingest thread: everything needed to turn it into queued lines. */
export interface BodyJob {
  body: Uint8Array;
  contentEncoding: string | undefined;
  ndjson: boolean;
  tenant: string;
  receivedMs: number;
  retentionDays: number | undefined;
  /** The tenant has a bytes-per-second limit, so the decoded records' JSON size is needed. */
  measureBytes: boolean;
}

/** A body turned into queued lines; its bytes cross between threads without a copy. */
export interface PreparedBody {
  /** Records the body held, good or bad: what rate limits and the per-request cap count. */
  items: number;
  decodedBytes: number;
  rows: number;
  /** The queued lines as UTF-8, encoded on the thread so the event loop never re-encodes them, grouped by service. */
  data: Buffer;
  /** Where each service's lines end in `data`. */
  services: ServiceRun[];
  rejected: number;
  errors: RecordError[];
  reasons: Record<string, number>;
}

export const tooManyRecords = () => COLLECTOR_ERRORS.TOO_MANY_RECORDS({ max: LIMITS.maxRecordsPerRequest });

/**
 * Pure apart from zlib and id generation: decompress, decode and normalise a whole body in one go.
 * Runs on an ingest thread, where holding the thread for a 5 MB body keeps nobody else waiting.
 * Throws a coded error for a body that is refused as a whole.
 */
export async function prepareBody(job: BodyJob): Promise<PreparedBody> {
  const items = await decodeBody(job.body, job.contentEncoding, job.ndjson);
  if (items.length > LIMITS.maxRecordsPerRequest) throw tooManyRecords();
  const batch = startBatch(job.tenant, job.receivedMs, job.retentionDays, false);
  normaliseInto(batch, items, 0, items.length);
  const { data, runs } = groupLinesByService(batch.lines, batch.services);
  return {
    items: items.length,
    decodedBytes: job.measureBytes ? decodedBytes(items) : 0,
    rows: batch.lines.length,
    data,
    services: runs,
    rejected: batch.errors.length,
    errors: batch.errors.slice(0, MAX_LISTED_ERRORS),
    reasons: rejectionReasons(batch.errors),
  };
}
