import type { Registry } from 'prom-client';
import type { RecordChunk } from '@instant-logs/queue';
import { isRetryable, type LogStore } from '@instant-logs/store';
import { createBatcher, type Batcher } from './batcher.ts';
import { createProcessorMetrics } from './metrics.ts';

/** Batching and retry settings; defaults suit one process on a small machine. */
export interface ProcessorOptions {
  maxRows: number;
  maxBytes: number;
  maxWaitMs: number;
  maxPendingRows: number;
  retryInitialMs: number;
  retryMaxMs: number;
  giveUpAfterMs: number;
}

export const DEFAULT_PROCESSOR_OPTIONS: Readonly<ProcessorOptions> = Object.freeze({
  maxRows: 50_000,
  maxBytes: 16 * 1024 * 1024,
  maxWaitMs: 5,
  maxPendingRows: 500_000,
  retryInitialMs: 100,
  retryMaxMs: 5_000,
  giveUpAfterMs: 30_000,
});

export interface Processor {
  /** Resolves once the chunk is in the store. */
  consume(chunk: RecordChunk): Promise<void>;
  pendingRows(): number;
  /** Writes what is pending, then stops taking work. */
  close(): Promise<void>;
}

/** Builds the store-facing half of the pipeline: group-committed, retried inserts. */
export function createProcessor(
  store: LogStore,
  registry: Registry,
  options: Partial<ProcessorOptions> = {},
): Processor {
  const o = { ...DEFAULT_PROCESSOR_OPTIONS, ...options };
  const metrics = createProcessorMetrics(registry);
  const batcher: Batcher = createBatcher({
    insert: (data, _rows, dedupToken) => store.insert(data, { dedupToken }),
    isTransient: isRetryable,
    maxRows: o.maxRows,
    maxBytes: o.maxBytes,
    maxWaitMs: o.maxWaitMs,
    maxPendingRows: o.maxPendingRows,
    retry: { initialMs: o.retryInitialMs, maxMs: o.retryMaxMs, giveUpAfterMs: o.giveUpAfterMs },
    observe: metrics.observer,
  });
  return {
    consume: (chunk) => batcher.submit(chunk),
    pendingRows: () => batcher.pendingRows(),
    close: () => batcher.close(),
  };
}
