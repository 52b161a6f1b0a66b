import type { LogRecord } from '@instant-logs/schema';

/**
 * The rows live tail keeps, oldest first: at most `cap`, each record once however often a
 * reconnect delivers it (the server resumes from a position, but may repeat its last page).
 */
export class TailBuffer {
  readonly cap: number;
  #rows: LogRecord[] = [];
  #ids = new Set<string>();

  constructor(cap: number) {
    if (!(cap > 0)) throw new RangeError('cap must be positive');
    this.cap = cap;
  }

  /** Appends the records not seen yet, drops the oldest beyond the cap; returns how many were new. */
  add(records: readonly LogRecord[]): number {
    const fresh: LogRecord[] = [];
    for (const r of records) {
      if (this.#ids.has(r.id)) continue;
      this.#ids.add(r.id);
      fresh.push(r);
    }
    if (fresh.length === 0) return 0;
    let rows = this.#rows.concat(fresh);
    const excess = rows.length - this.cap;
    if (excess > 0) {
      for (let i = 0; i < excess; i++) this.#ids.delete(rows[i]!.id);
      rows = rows.slice(excess);
    }
    this.#rows = rows;
    return fresh.length;
  }

  /** The kept rows, oldest first: a new array after every add, so views can compare by identity. */
  get rows(): readonly LogRecord[] {
    return this.#rows;
  }

  clear(): void {
    this.#rows = [];
    this.#ids.clear();
  }
}

/** Counts records over a sliding window to show a rate. Pure: the caller passes the time. */
export class RateMeter {
  readonly #windowMs: number;
  #events: { at: number; count: number }[] = [];

  constructor(windowMs = 5000) {
    this.#windowMs = windowMs;
  }

  record(count: number, nowMs: number): void {
    if (count > 0) this.#events.push({ at: nowMs, count });
    this.#trim(nowMs);
  }

  /** Records per second over the window ending at `nowMs`. */
  rate(nowMs: number): number {
    this.#trim(nowMs);
    const total = this.#events.reduce((sum, e) => sum + e.count, 0);
    return total / (this.#windowMs / 1000);
  }

  #trim(nowMs: number): void {
    while (this.#events.length > 0 && this.#events[0]!.at <= nowMs - this.#windowMs) this.#events.shift();
  }
}
