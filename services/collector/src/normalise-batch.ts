import {
  formatTimestamp,
  newRecordId,
  normalizeRecord,
  nowNs,
  queuedLine,
  type RecordError,
} from '@instant-logs/schema';
import type { DecodedItem } from './decode-body.ts';

/** What became of one item: the id it is stored under, or why it was refused. Reported once the batch is durable. */
export type ItemOutcome = { id: string } | { error: RecordError };

/** The queued lines and refusals of one request, filled slice by slice (in a request's turn or an ingest thread). */
export interface NormalisedBatch {
  readonly lines: string[];
  /** Each line's service, for cutting per-service messages without reading the lines again. */
  readonly services: string[];
  readonly errors: RecordError[];
  /** Kept only for callers that answer per item (Elasticsearch bulk). */
  readonly outcomes: ItemOutcome[] | undefined;
  readonly ctx: Parameters<typeof normalizeRecord>[1];
  readonly retentionDays: number | undefined;
}

/** A batch whose records are received at `receivedMs`; their ids and default timestamps come from it. */
export function startBatch(
  tenant: string,
  receivedMs: number,
  retentionDays: number | undefined,
  keepOutcomes: boolean,
): NormalisedBatch {
  const receivedNs = nowNs(receivedMs);
  const ctx = { tenant, receivedNs, receivedText: formatTimestamp(receivedNs), newId: () => newRecordId(receivedMs) };
  return { lines: [], services: [], errors: [], outcomes: keepOutcomes ? [] : undefined, ctx, retentionDays };
}

/** Normalises items[start, end) into the batch: each good one becomes a queued line, each bad one an error by index. */
export function normaliseInto(batch: NormalisedBatch, items: readonly DecodedItem[], start: number, end: number): void {
  for (let index = start; index < end; index++) {
    const item = items[index]!;
    if ('error' in item) {
      batch.errors.push({ index, ...item.error });
      batch.outcomes?.push({ error: batch.errors.at(-1)! });
      continue;
    }
    const result = normalizeRecord(item.record, batch.ctx);
    if (result.ok) {
      batch.lines.push(queuedLine(result.record, batch.retentionDays));
      batch.services.push(result.record.service);
      batch.outcomes?.push({ id: result.record.id });
    } else {
      batch.errors.push({ index, ...result.error });
      batch.outcomes?.push({ error: batch.errors.at(-1)! });
    }
  }
}

const REASONS = new Set([
  'timestamp',
  'time',
  'observed_timestamp',
  'service',
  'level',
  'severity',
  'severity_text',
  'severity_number',
  'message',
  'attributes',
  'resource',
  'trace_id',
  'span_id',
  '(record)',
]);

/** Pure: refusals counted by a bounded metric label (attribute paths would be unbounded). */
export function rejectionReasons(errors: readonly RecordError[]): Record<string, number> {
  const counts: Record<string, number> = {};
  for (const { field } of errors) {
    const root = field.split('.')[0] ?? field;
    const reason = root === '(record)' ? 'record' : REASONS.has(root) ? root : 'other';
    counts[reason] = (counts[reason] ?? 0) + 1;
  }
  return counts;
}

/** The JSON size of the decoded records: the bytes a tenant's bytes-per-second limit counts, the same for every protocol. */
export function decodedBytes(items: readonly DecodedItem[]): number {
  let total = 0;
  for (const item of items) if ('record' in item) total += Buffer.byteLength(JSON.stringify(item.record) ?? '');
  return total;
}
