/** Backoff for keys whose reconcile failed: doubles from baseMs up to maxMs. */
export interface QueueBackoff {
  baseMs: number;
  maxMs: number;
}

export interface WorkQueue {
  /** Queues a key; a key already waiting is not queued twice, one being processed runs again after. */
  add(key: string): void;
  /** Queues a key again after its failure count's backoff; returns that delay in ms. */
  addAfterFailure(key: string): number;
  /** Clears a key's failure count after a success. */
  forget(key: string): void;
  /** Keys waiting, not counting those being processed or waiting out a backoff. */
  depth(): number;
  /** Resolves with the next key, or undefined once the queue is shut down. */
  next(): Promise<string | undefined>;
  /** Marks a key from next() as finished. */
  done(key: string): void;
  shutdown(): void;
}

/**
 * A keyed work queue in the manner of client-go's: deduplicated, never two workers on one key, and
 * exponential per-key backoff after failures. Level-based reconcilers only need the key.
 */
export function createWorkQueue(backoff: QueueBackoff): WorkQueue {
  const queue: string[] = [];
  const waiting = new Set<string>();
  const processing = new Set<string>();
  const dirty = new Set<string>();
  const failures = new Map<string, number>();
  const timers = new Set<NodeJS.Timeout>();
  const takers: ((key: string | undefined) => void)[] = [];
  let stopped = false;

  const push = (key: string) => {
    if (stopped) return;
    if (processing.has(key)) {
      dirty.add(key);
      return;
    }
    if (waiting.has(key)) return;
    waiting.add(key);
    const taker = takers.shift();
    if (taker) {
      waiting.delete(key);
      processing.add(key);
      taker(key);
    } else queue.push(key);
  };

  return {
    add: push,
    addAfterFailure(key) {
      const n = (failures.get(key) ?? 0) + 1;
      failures.set(key, n);
      const delay = Math.min(backoff.maxMs, backoff.baseMs * 2 ** Math.min(n - 1, 30));
      const timer = setTimeout(() => {
        timers.delete(timer);
        push(key);
      }, delay);
      timers.add(timer);
      return delay;
    },
    forget: (key) => void failures.delete(key),
    depth: () => queue.length,
    next() {
      if (stopped) return Promise.resolve(undefined);
      const key = queue.shift();
      if (key !== undefined) {
        waiting.delete(key);
        processing.add(key);
        return Promise.resolve(key);
      }
      return new Promise((resolve) => takers.push(resolve));
    },
    done(key) {
      processing.delete(key);
      if (dirty.delete(key)) push(key);
    },
    shutdown() {
      stopped = true;
      for (const t of timers) clearTimeout(t);
      timers.clear();
      for (const taker of takers.splice(0)) taker(undefined);
    },
  };
}
