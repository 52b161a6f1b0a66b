import { Worker } from 'node:worker_threads';
import type { FastifyInstance } from 'fastify';
import { z } from 'zod';

/** The probe listener's environment: unset = probes are answered on the service's own port only. */
export const ProbeEnv = {
  PROBE_PORT: z.coerce.number().int().min(0).max(65535).optional(),
};

export interface ProbeThreadOptions {
  host: string;
  port: number;
  /** Whether the service is ready, asked on the event loop every `refreshMs` (its own /readyz, typically). */
  ready: () => Promise<boolean>;
  refreshMs?: number;
  /** An event loop silent this long is reported dead (/healthz 503); a few seconds' lag under a flood is not. */
  stallMs?: number;
}

export interface ProbeThread {
  readonly port: number;
  close(): Promise<void>;
}

// Slots of the state shared with probe-server.ts: the event loop's last beat (epoch ms) and its last readiness (1 = ready).
const BEAT = 0;
const READY = 1;

/**
 * Answers /healthz and /readyz from a thread of their own, on a port of their own: an event loop
 * busy with a flood of ingest work delays these answers by seconds, enough for kubelet to kill a
 * pod that is only busy. The thread reads what the event loop last wrote (a beat and its
 * readiness), so its answers stay true to the service while never waiting behind its work.
 */
export async function startProbeThread(options: ProbeThreadOptions): Promise<ProbeThread> {
  const refreshMs = options.refreshMs ?? 250;
  const state = new BigInt64Array(new SharedArrayBuffer(16));
  Atomics.store(state, BEAT, BigInt(Date.now()));
  let refreshing = false;
  const refresh = async () => {
    Atomics.store(state, BEAT, BigInt(Date.now()));
    if (refreshing) return;
    refreshing = true;
    const ready = await options.ready().catch(() => false);
    refreshing = false;
    Atomics.store(state, READY, ready ? 1n : 0n);
  };
  await refresh();
  const timer = setInterval(refresh, refreshMs);
  timer.unref();
  const worker = new Worker(new URL('./probe-server.ts', import.meta.url), {
    workerData: {
      state,
      host: options.host,
      port: options.port,
      stallMs: options.stallMs ?? 10_000,
      staleReadyMs: Math.max(5_000, refreshMs * 4),
    },
  });
  const port = await new Promise<number>((resolve, reject) => {
    worker.once('message', (m: { listening?: number; error?: string }) =>
      m.listening !== undefined
        ? resolve(m.listening)
        : reject(new Error(`Cannot listen for probes on ${options.host}:${options.port}: ${m.error}`)),
    );
    worker.once('error', reject);
  });
  worker.unref();
  return {
    port,
    async close() {
      clearInterval(timer);
      await worker.terminate();
    },
  };
}

/** With PROBE_PORT set, a probe thread that reports what the app's own GET /readyz answers (asked in-process); else none. */
export async function startProbesFromEnv(
  config: { HOST: string; PROBE_PORT?: number | undefined },
  app: FastifyInstance,
): Promise<ProbeThread | undefined> {
  if (config.PROBE_PORT === undefined) return undefined;
  const ready = async () => (await app.inject({ method: 'GET', url: '/readyz' })).statusCode === 200;
  return startProbeThread({ host: config.HOST, port: config.PROBE_PORT, ready });
}
