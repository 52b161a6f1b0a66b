interface Entry<T> {
  atMs: number;
  seq: number;
  item: T;
}

/** A min-heap by time; equal times come out in insertion order, so a request's lines keep their order. */
export interface TimeQueue<T> {
  readonly size: number;
  push(atMs: number, item: T): void;
  /** Time of the earliest item, or Infinity when empty. */
  peekTime(): number;
  pop(): T | undefined;
}

/** Pure: an empty time queue. */
export function createTimeQueue<T>(): TimeQueue<T> {
  const heap: Entry<T>[] = [];
  let seq = 0;
  const before = (a: Entry<T>, b: Entry<T>) => a.atMs < b.atMs || (a.atMs === b.atMs && a.seq < b.seq);
  const swap = (i: number, j: number) => {
    const t = heap[i]!;
    heap[i] = heap[j]!;
    heap[j] = t;
  };
  return {
    get size() {
      return heap.length;
    },
    push(atMs, item) {
      heap.push({ atMs, seq: seq++, item });
      for (let i = heap.length - 1; i > 0;) {
        const parent = (i - 1) >> 1;
        if (!before(heap[i]!, heap[parent]!)) break;
        swap(i, parent);
        i = parent;
      }
    },
    peekTime: () => heap[0]?.atMs ?? Infinity,
    pop() {
      const top = heap[0];
      const last = heap.pop();
      if (top === undefined || last === undefined) return undefined;
      if (heap.length > 0) {
        heap[0] = last;
        for (let i = 0; ;) {
          const l = 2 * i + 1;
          const r = l + 1;
          let min = i;
          if (l < heap.length && before(heap[l]!, heap[min]!)) min = l;
          if (r < heap.length && before(heap[r]!, heap[min]!)) min = r;
          if (min === i) break;
          swap(i, min);
          i = min;
        }
      }
      return top.item;
    },
  };
}
