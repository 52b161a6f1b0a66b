import { setImmediate as yieldToLoop, setTimeout as delay } from 'node:timers/promises';
import { createTrafficGenerator, type TrafficGenerator } from './generator.ts';

/** Running totals of a traffic run; `sent` and `failed` count records, not requests. */
export interface TrafficStats {
  sent: number;
  failed: number;
  /** The latest send failure's message, for a summary line. */
  lastError?: string;
}

export interface SampleTrafficOptions {
  send: (records: object[]) => Promise<void>;
  /** Records per second at load 1; incidents and sales in the generator raise it for a while. */
  ratePerSecond: number;
  /** Records per send; a tenth of a second's worth by default. */
  batchSize?: number;
  signal: AbortSignal;
  generator?: TrafficGenerator;
}

/** A running traffic loop: `stats` updates live; `done` settles with the final stats once aborted. */
export interface SampleTraffic {
  readonly stats: Readonly<TrafficStats>;
  readonly done: Promise<TrafficStats>;
}

// After a long stall (a slow collector) do not try to catch up on everything missed: that would be a burst.
const MAX_BACKLOG_MS = 1000;

/** Sends generated batches at about the given rate, one request at a time, until the signal aborts. */
export function runSampleTraffic(options: SampleTrafficOptions): SampleTraffic {
  const { send, ratePerSecond, signal } = options;
  if (!(ratePerSecond > 0)) throw new RangeError(`ratePerSecond must be positive, got ${ratePerSecond}`);
  const batchSize = options.batchSize ?? Math.max(1, Math.min(1000, Math.round(ratePerSecond / 10)));
  if (!Number.isInteger(batchSize) || batchSize < 1)
    throw new RangeError(`batchSize must be a positive integer, got ${batchSize}`);
  const generator = options.generator ?? createTrafficGenerator({ seed: Date.now(), clock: Date.now });
  const stats: TrafficStats = { sent: 0, failed: 0 };

  const loop = async (): Promise<TrafficStats> => {
    let dueMs = performance.now();
    while (!signal.aborted) {
      const records = generator.batch(batchSize);
      try {
        await send(records);
        stats.sent += records.length;
      } catch (err) {
        stats.failed += records.length;
        stats.lastError = err instanceof Error ? err.message : String(err);
      }
      dueMs = Math.max(
        dueMs + (batchSize * 1000) / (ratePerSecond * generator.load()),
        performance.now() - MAX_BACKLOG_MS,
      );
      const wait = dueMs - performance.now();
      try {
        // Timers cannot wait under a millisecond. When there is no real wait, still yield so timers, I/O
        // and signal handlers get their turn.
        await (wait >= 1 ? delay(wait, undefined, { signal }) : yieldToLoop(undefined, { signal }));
      } catch {
        break; // aborted while waiting
      }
    }
    return { ...stats };
  };
  return { stats, done: loop() };
}

/** Pure: records as newline-delimited JSON, one per line, ending with a newline. */
export function toNdjson(records: readonly object[]): string {
  let out = '';
  for (const record of records) out += `${JSON.stringify(record)}\n`;
  return out;
}
