import type { LogMessage } from './kafka-messages.ts';
import type { RecordChunk } from './queue.ts';

/** The headers that carry a request's Idempotency-Key to the processor, which skips a retry's copy by them. */
export const IDEMPOTENCY_HEADERS = Object.freeze({
  key: 'idempotency-key',
  digest: 'idempotency-digest',
  part: 'idempotency-part',
});

/** What a message tells of the request it came from: its key, its body's digest and which of its messages it is. */
export interface MessageIdempotency {
  key: string;
  digest: string;
  /** `<index>/<count>` among the request's messages: a retry of the same body is cut into the same parts. */
  part: string;
}

type Headers = Record<string, Buffer | string | (Buffer | string)[] | undefined>;

/**
 * Pure: the Kafka key and idempotency headers of each of a chunk's messages. A chunk without an
 * Idempotency-Key keeps its messages' keys and gets no headers. With one, every message is keyed by tenant and
 * Idempotency-Key, so every copy of the request lands on one partition and one processor sees them in order.
 */
export function idempotentKeys(
  chunk: Pick<RecordChunk, 'tenant' | 'idempotency'>,
  messages: readonly LogMessage[],
): { key: string; headers?: Record<string, string> }[] {
  const claim = chunk.idempotency;
  if (!claim) return messages.map((m) => ({ key: m.key }));
  const key = `${chunk.tenant}/idempotency-key/${claim.key}`;
  return messages.map((_, i) => ({
    key,
    headers: {
      [IDEMPOTENCY_HEADERS.key]: claim.key,
      [IDEMPOTENCY_HEADERS.digest]: claim.digest,
      [IDEMPOTENCY_HEADERS.part]: `${i}/${messages.length}`,
    },
  }));
}

/** Pure: the idempotency a consumed message's headers carry, or undefined when any of them is missing. */
export function readIdempotency(headers: Headers | undefined): MessageIdempotency | undefined {
  const text = (name: string) => {
    const v = headers?.[name];
    return v === undefined ? undefined : (Array.isArray(v) ? v[0] : v)?.toString();
  };
  const key = text(IDEMPOTENCY_HEADERS.key);
  const digest = text(IDEMPOTENCY_HEADERS.digest);
  const part = text(IDEMPOTENCY_HEADERS.part);
  return key && digest && part ? { key, digest, part } : undefined;
}
