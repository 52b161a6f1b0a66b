import { availableParallelism } from 'node:os';
import { Worker } from 'node:worker_threads';
import { reviveCodedError, type PlainCodedError } from '@instant-logs/service-kit';
import { COLLECTOR_ERRORS } from './errors.ts';
import type { BodyJob, PreparedBody } from './prepare-body.ts';

/** Threads that turn whole request bodies into queued lines, so the event loop only moves bytes. */
export interface IngestThreads {
  readonly size: number;
  prepare(job: BodyJob): Promise<PreparedBody>;
  /** Ends the threads; jobs still running fail. Call after the server has drained. */
  close(): Promise<void>;
  /** Threads started so far, restarts included. */
  starts(): number;
}

interface Pending {
  resolve: (prepared: PreparedBody) => void;
  reject: (err: Error) => void;
}

interface Slot {
  worker: Worker;
  pending: Map<number, Pending>;
  /** Dead and waiting out its restart delay: takes no jobs. */
  down: boolean;
  /** Its module loaded and it said so. */
  ready: boolean;
}

/**
 * Default thread count: one on a machine with two or more cores, none on one core, where a thread
 * would only compete with the event loop. More than one pays off only with cores to spare beside the
 * event loop and the store's own threads.
 */
export function defaultIngestThreads(cores: number = availableParallelism()): number {
  return cores >= 2 ? 1 : 0;
}

export interface IngestThreadOptions {
  /** Each thread's V8 heap ceiling; a body that needs more fails alone (503) instead of growing the process. */
  maxHeapMb?: number;
  /** The thread's module; tests give one that cannot start. */
  module?: URL;
}

const MAX_RESTART_DELAY_MS = 30_000;

/** Pure: how long to wait before starting a thread again after it failed to start `failedStarts` times in a row. */
export function restartDelayMs(failedStarts: number): number {
  return failedStarts === 0 ? 0 : Math.min(MAX_RESTART_DELAY_MS, 100 * 2 ** (failedStarts - 1));
}

/**
 * Starts `size` ingest threads; a thread that dies fails its jobs (503) and is replaced, at once after a death on a
 * body, after a growing delay when it died before it came up (a thread that cannot load would otherwise restart in
 * a loop, burning a core).
 */
export function startIngestThreads(size: number, options: IngestThreadOptions = {}): IngestThreads {
  let nextId = 0;
  let closing = false;
  const slots: Slot[] = [];
  const restarts: NodeJS.Timeout[] = [];
  let starts = 0;

  const spawn = (at: number, failedStarts = 0) => {
    const resourceLimits = options.maxHeapMb ? { resourceLimits: { maxOldGenerationSizeMb: options.maxHeapMb } } : {};
    const worker = new Worker(options.module ?? new URL('./ingest-thread.ts', import.meta.url), resourceLimits);
    const slot: Slot = { worker, pending: new Map(), down: false, ready: false };
    starts++;
    worker.on(
      'message',
      (message: { id: number; ready?: true; prepared?: PreparedBody; refusal?: PlainCodedError; failure?: string }) => {
        if (message.ready) return void (slot.ready = true);
        const job = slot.pending.get(message.id);
        if (!job) return;
        slot.pending.delete(message.id);
        if (slot.pending.size === 0) worker.unref();
        // A Buffer arrives as a plain Uint8Array.
        if (message.prepared) job.resolve({ ...message.prepared, data: asBuffer(message.prepared.data) });
        else if (message.refusal) job.reject(reviveCodedError(message.refusal));
        else job.reject(new Error(`Ingest thread failed: ${message.failure}`));
      },
    );
    const fail = (why: string) => {
      for (const job of slot.pending.values()) job.reject(threadLost(why));
      slot.pending.clear();
      if (closing || slots[at] !== slot || slot.down) return;
      slot.down = true;
      // A thread that ran and died (a body it could not hold) is replaced at once; one that never came up is
      // retried after a growing delay.
      if (slot.ready) return spawn(at);
      const failed = failedStarts + 1;
      restarts[at] = setTimeout(() => spawn(at, failed), restartDelayMs(failed)).unref();
    };
    worker.on('error', (err) => fail(err.message));
    worker.on('exit', (code) => fail(`exited with code ${code}`));
    // A thread keeps the process alive only while it has jobs (set after the listeners, which ref it).
    worker.unref();
    slots[at] = slot;
  };
  for (let at = 0; at < size; at++) spawn(at);

  return {
    size,
    prepare(job) {
      if (closing) return Promise.reject(threadLost('shutting down'));
      // The live thread with the fewest jobs waiting takes the next one.
      const live = slots.filter((s) => !s.down);
      if (live.length === 0) return Promise.reject(threadLost('is restarting'));
      const slot = live.reduce((best, s) => (s.pending.size < best.pending.size ? s : best));
      const id = nextId++;
      return new Promise<PreparedBody>((resolve, reject) => {
        slot.pending.set(id, { resolve, reject });
        if (slot.pending.size === 1) slot.worker.ref();
        slot.worker.postMessage({ id, job });
      });
    },
    starts: () => starts,
    async close() {
      closing = true;
      for (const timer of restarts) clearTimeout(timer);
      await Promise.all(slots.map((slot) => slot.worker.terminate()));
    },
  };
}

const asBuffer = (bytes: Uint8Array) => Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength);

const threadLost = (why: string) =>
  COLLECTOR_ERRORS.INGEST_THREAD_LOST({ reason: why, headers: { 'retry-after': '1' } });
