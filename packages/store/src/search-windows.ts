// "Last N" over a long range reads the newest slice first and stops once N records are found
// (issue 10). Windows split the range on timestamp alone, so records with equal timestamps are
// always in the same window and the (timestamp, id) order is the concatenation of the windows'.

/** How a newest-first search splits its time range. */
export interface WindowOptions {
  /** Width of the newest window; by default 1/64 of the range, from 1 s to 1 h. */
  firstNs?: bigint | undefined;
  /** Each next window is this many times wider than the one before. */
  growth: number;
  /** The last window takes whatever is left of the range, so a miss costs at most this many queries. */
  maxWindows: number;
}

export const DEFAULT_WINDOWS: WindowOptions = { growth: 4, maxWindows: 5 };

/** An inclusive range of epoch nanoseconds. */
export interface TimeWindow {
  fromNs: bigint;
  toNs: bigint;
}

const SECOND = 1_000_000_000n;
const HOUR = 3600n * SECOND;

/**
 * Windows over [fromNs, toNs], newest first, disjoint and covering every nanosecond once; the
 * caller sends back how many of the `wanted` records it has found so far (`next(found)`). Each
 * window is `growth` times wider than the last, or as wide as the match rate seen so far says
 * the rest needs (twice over). Windows with no match grow the same way rather than jumping to the
 * rest of the range: newest records older than the first window (a service that stopped logging an
 * hour ago, searched over a week) would otherwise cost a read of the whole range. A range reaching
 * past `nowNs` gets everything after now in its first window, since records from the future are
 * rare. Nothing is yielded for an empty range.
 */
export function* searchWindows(
  fromNs: bigint,
  toNs: bigint,
  nowNs: bigint,
  wanted: number,
  options: WindowOptions = DEFAULT_WINDOWS,
): Generator<TimeWindow, void, number> {
  if (toNs < fromNs) return;
  const span = toNs - fromNs + 1n;
  let width = options.firstNs ?? clamp(span / 64n, SECOND, HOUR);
  if (width < 1n) width = 1n;
  const start = nowNs < toNs ? nowNs : toNs;
  let hi = toNs;
  let lo = start - width + 1n;
  for (let n = 1; ; n++) {
    if (n >= options.maxWindows || lo <= fromNs) {
      yield { fromNs, toNs: hi };
      return;
    }
    const found = yield { fromNs: lo, toNs: hi };
    if (found >= wanted) return;
    width *= BigInt(options.growth);
    if (found > 0) {
      // Matches so far came from [lo, start]; read enough for the rest at that rate, twice over.
      const needed = ((start - lo + 1n) * BigInt(wanted - found) * 2n) / BigInt(found);
      if (needed > width) width = needed;
    }
    hi = lo - 1n;
    lo = hi - width + 1n;
  }
}

function clamp(x: bigint, min: bigint, max: bigint): bigint {
  return x < min ? min : x > max ? max : x;
}
