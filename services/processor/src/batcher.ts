import { randomUUID } from 'node:crypto';
import {
  joinLines,
  QueueFullError,
  QueueRejectedError,
  QueueUnavailableError,
  type RecordChunk,
} from '@instant-logs/queue';
import { backoffDelay, type BackoffPolicy } from './backoff.ts';

export interface BatcherOptions {
  /** Stores one batch; `dedupToken` is the same on every retry of that batch. */
  insert: (data: Buffer, rows: number, dedupToken: string) => Promise<void>;
  /** Whether an insert error may clear by itself (then the batch is retried). */
  isTransient: (err: unknown) => boolean;
  maxRows: number;
  maxBytes: number;
  /** Longest a record waits for companions before its batch is written. */
  maxWaitMs: number;
  /** Rows accepted but not yet stored; beyond it submit() refuses with QueueFullError. */
  maxPendingRows: number;
  retry: BackoffPolicy & { giveUpAfterMs: number };
  observe?: BatchObserver;
}

/** Hooks for metrics; each is called once per event. */
export interface BatchObserver {
  flushed?(rows: number, bytes: number, seconds: number): void;
  retried?(err: unknown): void;
  failed?(rows: number, err: unknown): void;
}

interface Waiter {
  chunk: RecordChunk;
  /** UTF-8 bytes of chunk.data, what maxBytes limits. */
  bytes: number;
  at: number;
  resolve: () => void;
  reject: (err: Error) => void;
}

export interface Batcher {
  /** Resolves once the chunk's rows are stored; rejects with a Queue*Error otherwise. */
  submit(chunk: RecordChunk): Promise<void>;
  /** Rows accepted and not yet stored. */
  pendingRows(): number;
  /** Stores what is pending, then refuses new work. */
  close(): Promise<void>;
}

/**
 * Group commit: concurrent submits share one insert, written when it reaches maxRows or maxBytes or
 * its oldest row has waited maxWaitMs. One insert runs at a time; the next batch fills meanwhile.
 */
export function createBatcher(options: BatcherOptions): Batcher {
  const queue: Waiter[] = [];
  let queuedRows = 0;
  let queuedBytes = 0;
  let inFlightRows = 0;
  let timer: NodeJS.Timeout | undefined;
  let flushing: Promise<void> | undefined;
  let closed = false;

  const full = () => queuedRows >= options.maxRows || queuedBytes >= options.maxBytes;

  const schedule = () => {
    if (flushing || queue.length === 0) return;
    const waited = Date.now() - queue[0]!.at;
    if (closed || full() || waited >= options.maxWaitMs) {
      flushing = flush();
      return;
    }
    timer ??= setTimeout(() => {
      timer = undefined;
      if (!flushing && queue.length > 0) flushing = flush();
    }, options.maxWaitMs - waited);
  };

  const takeBatch = (): Waiter[] => {
    const batch: Waiter[] = [];
    let rows = 0;
    let bytes = 0;
    while (
      queue.length > 0 &&
      (batch.length === 0 ||
        (rows + queue[0]!.chunk.rows <= options.maxRows && bytes + queue[0]!.bytes <= options.maxBytes))
    ) {
      const w = queue.shift()!;
      batch.push(w);
      rows += w.chunk.rows;
      bytes += w.bytes;
    }
    queuedRows -= rows;
    queuedBytes -= bytes;
    inFlightRows += rows;
    return batch;
  };

  const flush = async (): Promise<void> => {
    if (timer) clearTimeout(timer);
    timer = undefined;
    const batch = takeBatch();
    try {
      await writeWithRetry(batch);
    } finally {
      flushing = undefined;
      schedule();
    }
  };

  // Rows leave the in-flight count before their submitter hears back, so it may submit again at once.
  const settle = (w: Waiter, err?: Error) => {
    inFlightRows -= w.chunk.rows;
    if (err) w.reject(err);
    else w.resolve();
  };

  const writeWithRetry = async (batch: Waiter[]): Promise<void> => {
    const data = joinLines(batch.map((w) => w.chunk.data));
    const rows = batch.reduce((n, w) => n + w.chunk.rows, 0);
    const token = randomUUID();
    const started = Date.now();
    for (let attempt = 1; ; attempt++) {
      const t0 = performance.now();
      try {
        await options.insert(data, rows, token);
        options.observe?.flushed?.(rows, data.length, (performance.now() - t0) / 1000);
        for (const w of batch) settle(w);
        return;
      } catch (err) {
        if (!options.isTransient(err)) return isolatePermanentFailure(batch, err);
        const delay = backoffDelay(options.retry, attempt);
        if (Date.now() - started + delay > options.retry.giveUpAfterMs) {
          options.observe?.failed?.(rows, err);
          const failure = new QueueUnavailableError(`Cannot store ${rows} records: ${(err as Error).message}`, {
            cause: err,
          });
          for (const w of batch) settle(w, failure);
          return;
        }
        options.observe?.retried?.(err);
        await new Promise((r) => setTimeout(r, delay));
      }
    }
  };

  // One bad request must not fail the others that shared its insert: retry each submit alone.
  const isolatePermanentFailure = async (batch: Waiter[], err: unknown): Promise<void> => {
    if (batch.length === 1) {
      options.observe?.failed?.(batch[0]!.chunk.rows, err);
      settle(batch[0]!, new QueueRejectedError(`Cannot store records: ${(err as Error).message}`, { cause: err }));
      return;
    }
    for (const w of batch) await writeWithRetry([w]);
  };

  return {
    submit(chunk) {
      if (closed)
        return Promise.reject(
          new QueueUnavailableError('Cannot accept records: shutting down', { retryAfterSeconds: 1 }),
        );
      if (queuedRows + inFlightRows + chunk.rows > options.maxPendingRows && queuedRows + inFlightRows > 0) {
        return Promise.reject(
          new QueueFullError(
            `Cannot accept ${chunk.rows} records: ${queuedRows + inFlightRows} are waiting to be stored`,
          ),
        );
      }
      return new Promise<void>((resolve, reject) => {
        const bytes = chunk.data.length;
        queue.push({ chunk, bytes, at: Date.now(), resolve, reject });
        queuedRows += chunk.rows;
        queuedBytes += bytes;
        schedule();
      });
    },
    pendingRows: () => queuedRows + inFlightRows,
    async close() {
      closed = true;
      if (timer) clearTimeout(timer);
      while (flushing || queue.length > 0) {
        if (!flushing) flushing = flush();
        await flushing;
      }
    },
  };
}
