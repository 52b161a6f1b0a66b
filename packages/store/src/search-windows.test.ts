import assert from 'node:assert/strict';
import { test } from 'node:test';
import fc from 'fast-check';
import { searchWindows, type TimeWindow } from './search-windows.ts';

const S = 1_000_000_000n;
const M = 60n * S;
const H = 60n * M;
const DAY = 24n * H;
const NOW = 100n * DAY;

/** The windows asked for when the caller reports `found[i]` records after window i. */
function plan(from: bigint, to: bigint, now: bigint, wanted: number, found: number[] = []): [bigint, bigint][] {
  const windows = searchWindows(from, to, now, wanted);
  const out: [bigint, bigint][] = [];
  for (let w = windows.next(), i = 0; !w.done; w = windows.next(found[i++] ?? 0)) {
    out.push([w.value.fromNs, w.value.toNs]);
  }
  return out;
}

test('a word found nowhere in a day takes four windows, each four times wider, the last the rest', () => {
  const first = DAY / 64n;
  assert.equal(first, 22n * M + 30n * S);
  assert.deepEqual(plan(NOW - DAY + 1n, NOW, NOW, 2, [0, 0, 0]), [
    [NOW - first + 1n, NOW],
    [NOW - 5n * first + 1n, NOW - first],
    [NOW - 21n * first + 1n, NOW - 5n * first],
    [NOW - DAY + 1n, NOW - 21n * first],
  ]);
});

test('records that end before the first window are found by the next wider ones, not by reading the rest', () => {
  const first = DAY / 64n;
  // A service that stopped logging half an hour ago: its page comes from the second window of a day's
  // search, and from the third of a week's (whose first window is an hour), with the rest never read.
  assert.deepEqual(plan(NOW - DAY + 1n, NOW, NOW, 101, [0, 101]), [
    [NOW - first + 1n, NOW],
    [NOW - 5n * first + 1n, NOW - first],
  ]);
  assert.deepEqual(plan(NOW - 7n * DAY + 1n, NOW, NOW, 101, [0, 0, 101]), [
    [NOW - H + 1n, NOW],
    [NOW - 5n * H + 1n, NOW - H],
    [NOW - 21n * H + 1n, NOW - 5n * H],
  ]);
});

test('a common match stops after the first window that completes the page', () => {
  assert.deepEqual(plan(NOW - DAY + 1n, NOW, NOW, 101, [101]), [[NOW - DAY / 64n + 1n, NOW]]);
});

test('each next window is four times wider, or as wide as twice the rate seen so far needs', () => {
  const first = DAY / 64n;
  // 50 of 101 in 22.5 min: 51 more need 23 min at that rate, 46 twice over; four times 22.5 is wider.
  assert.deepEqual(plan(NOW - DAY + 1n, NOW, NOW, 101, [50, 100, 101]), [
    [NOW - first + 1n, NOW],
    [NOW - 5n * first + 1n, NOW - first],
    [NOW - 21n * first + 1n, NOW - 5n * first],
  ]);
  // 10 of 101 in 22.5 min: 91 more need 204.75 min at that rate, so the next window is 409.5 min.
  assert.deepEqual(plan(NOW - DAY + 1n, NOW, NOW, 101, [10, 101]), [
    [NOW - first + 1n, NOW],
    [NOW - first - (first * 91n * 2n) / 10n + 1n, NOW - first],
  ]);
});

test('everything after now is in the first window, and the fifth window takes the rest', () => {
  assert.deepEqual(plan(0n, 9_223_372_036_854_775_807n, NOW, 101, [100, 100, 100, 100]), [
    [NOW - H + 1n, 9_223_372_036_854_775_807n],
    [NOW - 5n * H + 1n, NOW - H],
    [NOW - 21n * H + 1n, NOW - 5n * H],
    [NOW - 85n * H + 1n, NOW - 21n * H],
    [0n, NOW - 85n * H],
  ]);
});

test('a range before now or an empty range is one window or none', () => {
  assert.deepEqual(plan(10n * S, 20n * S, 0n, 5), [[10n * S, 20n * S]]);
  assert.deepEqual(plan(20n * S, 10n * S, 30n * S, 5), []);
});

test('windows are newest first, disjoint and cover the range until the wanted records are found', () => {
  fc.assert(
    fc.property(
      fc.bigInt({ min: 0n, max: 10n ** 12n }),
      fc.bigInt({ min: 0n, max: 10n ** 12n }),
      fc.bigInt({ min: 0n, max: 2n * 10n ** 12n }),
      fc.record({
        firstNs: fc.option(fc.bigInt({ min: 1n, max: 10n ** 11n }), { nil: undefined }),
        growth: fc.integer({ min: 1, max: 8 }),
        maxWindows: fc.integer({ min: 1, max: 8 }),
      }),
      fc.integer({ min: 1, max: 200 }),
      fc.array(fc.integer({ min: 0, max: 50 })),
      (from, len, now, options, wanted, finds) => {
        const gen = searchWindows(from, from + len, now, wanted, options);
        const windows: TimeWindow[] = [];
        let found = 0;
        for (let w = gen.next(), i = 0; !w.done; w = gen.next(found)) {
          windows.push(w.value);
          found = Math.min(wanted, found + (finds[i++] ?? 0));
        }
        assert.ok(windows.length >= 1 && windows.length <= options.maxWindows);
        assert.equal(windows[0]!.toNs, from + len);
        // Only a complete answer may stop before the oldest nanosecond.
        if (found < wanted) assert.equal(windows.at(-1)!.fromNs, from);
        for (const [i, w] of windows.entries()) {
          assert.ok(w.fromNs <= w.toNs);
          if (i > 0) assert.equal(w.toNs, windows[i - 1]!.fromNs - 1n);
        }
      },
    ),
  );
});
