import type { IdempotencyKeyStore, StoredIdempotencyKey } from '@instant-logs/store';
import type { SourceMessage } from './batches.ts';

/** A part of a request stored earlier, as the keys table holds it. */
export type StoredPart = StoredIdempotencyKey;

/** The Idempotency-Keys already stored (packages/store's keys table). */
export type StoredKeys = IdempotencyKeyStore;

export interface Sorted {
  /** Messages to insert, in offset order. */
  kept: SourceMessage[];
  /** Copies of a part already stored, or stored earlier in the batch: a client's retry. */
  retries: SourceMessage[];
  /** Kept messages whose key was stored before with another body: a different request under the same key. */
  reused: SourceMessage[];
  /** What to remember once the kept messages are stored (not what a replayed message remembered already). */
  remember: StoredPart[];
}

/**
 * Pure: a batch sorted against the parts already stored. A message is a retry when its (tenant, key, digest,
 * part) was stored from another message, or comes earlier in the batch; a replay of the very message a part
 * was stored from (a crash after the keys were written) is kept, so the replay inserts what the first try did.
 */
export function sortRetries(
  batch: readonly SourceMessage[],
  stored: readonly StoredPart[],
  sourceOf: (m: SourceMessage) => string,
): Sorted {
  const id = (p: Omit<StoredPart, 'source'>) => JSON.stringify([p.tenant, p.key, p.digest, p.part]);
  const sources = new Map<string, Set<string>>();
  const digests = new Map<string, Set<string>>();
  const note = (p: StoredPart) => {
    const ofPart = sources.get(id(p)) ?? new Set();
    sources.set(id(p), ofPart.add(p.source));
    const key = JSON.stringify([p.tenant, p.key]);
    digests.set(key, (digests.get(key) ?? new Set()).add(p.digest));
  };
  stored.forEach(note);
  const sorted: Sorted = { kept: [], retries: [], reused: [], remember: [] };
  for (const m of batch) {
    if (!m.idempotency) {
      sorted.kept.push(m);
      continue;
    }
    const part = { tenant: m.tenant, ...m.idempotency, source: sourceOf(m) };
    const from = sources.get(id(part));
    if (from && !(from.size === 1 && from.has(part.source))) {
      sorted.retries.push(m);
      continue;
    }
    const known = digests.get(JSON.stringify([part.tenant, part.key]));
    if (known && [...known].some((d) => d !== part.digest)) sorted.reused.push(m);
    note(part);
    sorted.kept.push(m);
    if (!from) sorted.remember.push(part);
  }
  return sorted;
}
