import { isDeepStrictEqual } from 'node:util';
import { shortHash } from './desired/hash.ts';
import type { KubeObject } from './kube/client.ts';

/** On every applied object: a hash of the object as the operator last applied it. */
export const APPLIED_HASH_ANNOTATION = 'logging.instantdev.io/applied-hash';

/** Pure: the object as it is applied, carrying a hash of itself. */
export function stamped(obj: KubeObject): KubeObject {
  const annotations = { ...obj.metadata.annotations, [APPLIED_HASH_ANNOTATION]: shortHash(obj) };
  return { ...obj, metadata: { ...obj.metadata, annotations } };
}

/**
 * Pure: whether applying `want` (a stamped object) over `live` would change nothing, so the apply can
 * be skipped. The hash says the last apply had the same fields, so none was dropped from the desired
 * object since; covering says every desired value is still in place, so nobody edited one. Values the
 * API server normalises ("1000m" stored as "1") never cover: those objects are applied every time,
 * which is correct, only not free.
 */
export function upToDate(want: KubeObject, live: KubeObject | undefined): boolean {
  if (!live || live.metadata.deletionTimestamp) return false;
  const hash = want.metadata.annotations?.[APPLIED_HASH_ANNOTATION];
  return hash !== undefined && live.metadata.annotations?.[APPLIED_HASH_ANNOTATION] === hash && covers(want, live);
}

// Fields the API server adds (defaults, status, managedFields) are ignored; a list must match in
// length, since an entry someone added would be left in place by an apply anyway.
function covers(want: unknown, have: unknown): boolean {
  if (want === undefined) return true;
  if (Array.isArray(want))
    return Array.isArray(have) && have.length === want.length && want.every((w, i) => covers(w, have[i]));
  if (typeof want === 'object' && want !== null) {
    if (typeof have !== 'object' || have === null || Array.isArray(have)) return false;
    return Object.entries(want).every(([k, w]) => covers(w, (have as Record<string, unknown>)[k]));
  }
  return isDeepStrictEqual(want, have);
}
