// Bucket widths people read easily on a time axis.
const STEPS_MS = [1, 5, 10, 30, 60, 300, 600, 900, 1800, 3600, 10800, 21600, 43200, 86400, 604800].map((s) => s * 1000);

/** Pure: the smallest readable bucket width that splits `rangeMs` into at most `buckets` buckets. */
export function chooseInterval(rangeMs: number, buckets: number): number {
  const wanted = Math.max(1, rangeMs) / Math.max(1, buckets);
  return STEPS_MS.find((s) => s >= wanted) ?? STEPS_MS[STEPS_MS.length - 1]!;
}
