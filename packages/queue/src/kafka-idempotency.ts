import { joinLines, toLogMessages, type LogMessage } from './kafka-messages.ts';
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

/** The digest a named document's message carries: every copy of a document is the same request's one part. */
export const DOCUMENT_DIGEST = 'document';

/** A message as the queue produces it: its key, its lines, and the idempotency headers it carries, if any. */
export type KeyedMessage = LogMessage & { headers?: Record<string, string> };

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

/**
 * Pure: a chunk's messages with their keys and idempotency headers. With an Idempotency-Key, the request's
 * messages share it (idempotentKeys). With named documents (RecordChunk.documentKeys), each named line goes
 * alone, keyed and headed by its document, so every copy of it lands on one partition and the processor stores
 * it once; the other lines are cut as toLogMessages cuts them.
 */
export function keyedMessages(chunk: RecordChunk): KeyedMessage[] {
  const documents = chunk.documentKeys;
  if (chunk.idempotency || !documents?.some((k) => k !== null)) {
    const parts = toLogMessages(chunk);
    if (!chunk.idempotency) return parts;
    const keyed = idempotentKeys(chunk, parts);
    return parts.map((m, i) => ({ ...m, ...keyed[i]! }));
  }
  const named: KeyedMessage[] = [];
  const rest: Buffer[] = [];
  let line = 0;
  for (let start = 0; start <= chunk.data.length; line++) {
    const newline = chunk.data.indexOf(10, start);
    const end = newline < 0 ? chunk.data.length : newline;
    const value = chunk.data.subarray(start, end);
    const document = documents[line] ?? null;
    if (document === null) rest.push(value);
    else
      named.push({
        key: `${chunk.tenant}/idempotency-key/${document}`,
        value,
        rows: 1,
        headers: {
          [IDEMPOTENCY_HEADERS.key]: document,
          [IDEMPOTENCY_HEADERS.digest]: DOCUMENT_DIGEST,
          [IDEMPOTENCY_HEADERS.part]: '0/1',
        },
      });
    start = end + 1;
  }
  const others =
    rest.length > 0 ? toLogMessages({ tenant: chunk.tenant, rows: rest.length, data: joinLines(rest) }) : [];
  return [...others, ...named];
}
