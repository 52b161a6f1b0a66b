/** Collects items and hands them on in batches; at most one batch is being flushed at a time. */
export interface Batcher<T> {
  add(item: T): void;
  /** Items waiting, not counting a batch being flushed. */
  size(): number;
  /** Flushes everything waiting and resolves when no flush is running. */
  drain(): Promise<void>;
}

export interface BatcherOptions<T> {
  maxItems: number;
  maxDelayMs: number;
  /** Must not throw: failures are the flusher's to retry or count. */
  flush: (items: T[]) => Promise<void>;
  /** Told when flushing starts and stops, e.g. to pause a socket meanwhile. */
  onBusy?: (busy: boolean) => void;
}

/** A batcher that flushes when `maxItems` are waiting or the oldest has waited `maxDelayMs`. */
export function createBatcher<T>(options: BatcherOptions<T>): Batcher<T> {
  let items: T[] = [];
  let timer: NodeJS.Timeout | undefined;
  let running: Promise<void> | undefined;

  const run = async () => {
    options.onBusy?.(true);
    try {
      while (items.length > 0) {
        const batch = items.length <= options.maxItems ? items : items.slice(0, options.maxItems);
        items = batch === items ? [] : items.slice(options.maxItems);
        await options.flush(batch);
      }
    } finally {
      running = undefined;
      options.onBusy?.(false);
    }
  };
  const kick = () => {
    if (timer) clearTimeout(timer);
    timer = undefined;
    if (!running && items.length > 0) running = run();
  };

  return {
    add(item) {
      items.push(item);
      if (items.length >= options.maxItems) kick();
      else if (!timer && !running) timer = setTimeout(kick, options.maxDelayMs);
    },
    size: () => items.length,
    async drain() {
      while (items.length > 0 || running) {
        kick();
        await running;
      }
    },
  };
}
