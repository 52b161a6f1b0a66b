import assert from 'node:assert/strict';
import { test } from 'node:test';
import fc from 'fast-check';
import { searchWindows, type TimeWindow } from './search-windows.ts';

const S = 1_000_000_000n;
const H = 3600n * S;
const list = (...args: Parameters<typeof searchWindows>): [bigint, bigint][] => [...searchWindows(...args)].map((w) => [w.fromNs, w.toNs]);

test('a day ending now is read as the newest 22.5 minutes, then windows four times wider, the last taking the rest', () => {
  const now = 100n * 24n * H;
  const first = (24n * H) / 64n;
  assert.deepEqual(list(now - 24n * H + 1n, now, now), [
    [now - first + 1n, now],
    [now - 5n * first + 1n, now - first],
    [now - 21n * first + 1n, now - 5n * first],
    [now - 24n * H + 1n, now - 21n * first],
  ]);
});

test('everything after now is in the first window, and the oldest windows stop growing after maxWindows', () => {
  const now = 1000n * H;
  assert.deepEqual(list(0n, 9_223_372_036_854_775_807n, now), [
    [now - H + 1n, 9_223_372_036_854_775_807n],
    [now - 5n * H + 1n, now - H],
    [now - 21n * H + 1n, now - 5n * H],
    [now - 85n * H + 1n, now - 21n * H],
    [0n, now - 85n * H],
  ]);
});

test('a range before now or an empty range is one window or none', () => {
  assert.deepEqual(list(10n * S, 20n * S, 0n), [[10n * S, 20n * S]]);
  assert.deepEqual(list(20n * S, 10n * S, 30n * S), []);
});

test('windows are newest first, disjoint and cover every nanosecond of the range once', () => {
  fc.assert(
    fc.property(
      fc.bigInt({ min: 0n, max: 10n ** 12n }),
      fc.bigInt({ min: 0n, max: 10n ** 12n }),
      fc.bigInt({ min: 0n, max: 2n * 10n ** 12n }),
      fc.record({ firstNs: fc.option(fc.bigInt({ min: 1n, max: 10n ** 11n }), { nil: undefined }), growth: fc.integer({ min: 1, max: 8 }), maxWindows: fc.integer({ min: 1, max: 8 }) }),
      (from, len, now, options) => {
        const windows: TimeWindow[] = [...searchWindows(from, from + len, now, options)];
        assert.ok(windows.length >= 1 && windows.length <= options.maxWindows);
        assert.equal(windows[0]!.toNs, from + len);
        assert.equal(windows.at(-1)!.fromNs, from);
        for (const [i, w] of windows.entries()) {
          assert.ok(w.fromNs <= w.toNs);
          if (i > 0) assert.equal(w.toNs, windows[i - 1]!.fromNs - 1n);
        }
      },
    ),
  );
});
