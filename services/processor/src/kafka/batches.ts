import type { MessageIdempotency } from '@instant-logs/queue';
import type { Intent } from './intent.ts';

/** What the writer needs of a Kafka message. */
export interface SourceMessage {
  offset: bigint;
  /** UTF-8 queued lines, one per line. */
  value: Buffer;
  rows: number;
  tenant: string;
  /** W3C trace context of the request that produced it, from the message headers. */
  trace?: Record<string, string>;
  /** The Idempotency-Key, body digest and part of the request it came from, when the client sent a key. */
  idempotency?: MessageIdempotency;
  /** Each line's document key (null for an unnamed one), when a local log entry's request named documents. */
  documentKeys?: readonly (string | null)[];
}

export interface BatchLimits {
  maxRows: number;
  maxBytes: number;
}

/**
 * Pure: cuts a partition's messages (in offset order) into insert batches within the limits. An
 * intent left by a crashed predecessor fixes the first batch to exactly its range; if the messages
 * do not reach its end yet, nothing is cut (`waiting` is true) so the range is never split.
 */
export function cutBatches(
  messages: readonly SourceMessage[],
  limits: BatchLimits,
  intent?: Intent,
): { batches: SourceMessage[][]; waiting: boolean } {
  const batches: SourceMessage[][] = [];
  let rest = messages;
  if (intent && rest.length > 0 && rest[0]!.offset <= intent.end) {
    const first = rest.filter((m) => m.offset <= intent.end);
    if (first.at(-1)!.offset < intent.end && first.length === rest.length) return { batches: [], waiting: true };
    batches.push(first);
    rest = rest.slice(first.length);
  }
  let current: SourceMessage[] = [];
  let rows = 0;
  let bytes = 0;
  for (const m of rest) {
    const size = m.value.length;
    if (current.length > 0 && (rows + m.rows > limits.maxRows || bytes + size > limits.maxBytes)) {
      batches.push(current);
      current = [];
      rows = 0;
      bytes = 0;
    }
    current.push(m);
    rows += m.rows;
    bytes += size;
  }
  if (current.length > 0) batches.push(current);
  return { batches, waiting: false };
}
