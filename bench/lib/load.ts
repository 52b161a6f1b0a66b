import { Worker } from 'node:worker_threads';

/** What the load worker sends, to whom, and for how long. */
export interface LoadOptions {
  port: number;
  connections: number;
  /** Records per request. */
  perBody: number;
  /** Distinct request bodies in the pool, sent round-robin. */
  bodies: number;
  seed: number;
  warmupMs: number;
  durationMs: number;
  /** Requests per second across all connections (open loop); unset = each connection sends as soon as its last request is answered. */
  ratePerSecond?: number;
  /** Another protocol's requests instead of the default NDJSON to /api/v1/logs; `perBody` must match them. */
  request?: { path: string; headers: Record<string, string>; okStatus: number; bodies: Uint8Array[] };
}

/** What the measurement window saw: acknowledged (202, or the protocol's own success status) requests only in records, bytes and latencies. */
export interface LoadResult {
  records: number;
  bytes: number;
  latenciesMs: number[];
  /** Responses by HTTP status (0 = connection error). */
  statuses: Record<string, number>;
  windowMs: number;
}

/** A load generator whose request bodies are built and which waits for `run()`. */
export interface Load {
  poolBytes: number;
  run(): Promise<LoadResult>;
  /** Ends the run early; `run()` then resolves with what was measured so far. */
  stop(): void;
}

/** Starts a load worker thread and resolves once its pool of request bodies is ready. */
export async function prepareLoad(options: LoadOptions): Promise<Load> {
  const worker = new Worker(new URL('../load-worker.ts', import.meta.url), { workerData: options });
  const failed = new Promise<never>((_, reject) => worker.once('error', reject));
  const message = <T>(kind: string) =>
    Promise.race([
      failed,
      new Promise<T>((resolve) => worker.on('message', (m: { kind: string } & T) => m.kind === kind && resolve(m))),
    ]);
  const { poolBytes } = await message<{ poolBytes: number }>('ready');
  return {
    poolBytes,
    async run() {
      worker.postMessage('start');
      const { result } = await message<{ result: LoadResult }>('done');
      await worker.terminate();
      return result;
    },
    stop: () => worker.postMessage('stop'),
  };
}
