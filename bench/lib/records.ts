import { newRecordId, normalizeRecord, nowNs, queuedLine } from '@instant-logs/schema';
import { createTrafficGenerator, toNdjson, type SampleRecord } from '@instant-logs/sample-app';

/** Sample-shop records stamped with the wall clock, as a live client would send them. */
export function liveRecords(n: number, seed: number): SampleRecord[] {
  return createTrafficGenerator({ seed, clock: Date.now }).batch(n);
}

/** NDJSON request bodies of `perBody` records each, generated up front so sending costs no generation. */
export function ndjsonBodies(bodies: number, perBody: number, seed: number): Buffer[] {
  const generator = createTrafficGenerator({ seed, clock: Date.now });
  return Array.from({ length: bodies }, () => Buffer.from(toNdjson(generator.batch(perBody))));
}

/**
 * `n` records spread evenly over [fromMs, toMs), yielded `chunk` at a time: the generator's simulated
 * shop re-stamped so one day holds them all (at its own rate it would cover ~1.5 h). Each record
 * keeps its service's timestamp format (epoch ms or RFC 3339).
 */
export function* spreadRecords(
  n: number,
  chunk: number,
  seed: number,
  fromMs: number,
  toMs: number,
): Generator<SampleRecord[]> {
  const generator = createTrafficGenerator({ seed, startMs: fromMs });
  const step = (toMs - fromMs) / n;
  for (let done = 0; done < n; done += chunk) {
    const records = generator.batch(Math.min(chunk, n - done));
    records.forEach((r, i) => {
      const ms = Math.floor(fromMs + (done + i) * step);
      r.timestamp = typeof r.timestamp === 'number' ? ms : new Date(ms).toISOString();
    });
    yield records;
  }
}

/** Pure apart from ids: the JSONEachRow lines the collector would store for `records` received at `receivedMs` (as accept.ts builds them). */
export function storedLines(records: readonly object[], receivedMs = Date.now(), tenant = 'default'): string[] {
  const ctx = { tenant, receivedNs: nowNs(receivedMs), newId: () => newRecordId(receivedMs) };
  const lines: string[] = [];
  for (const raw of records) {
    const result = normalizeRecord(raw, ctx);
    if (!result.ok) throw new Error(`Sample record rejected: ${result.error.field} ${result.error.message}`);
    lines.push(queuedLine(result.record));
  }
  return lines;
}
