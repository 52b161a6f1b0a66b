import assert from 'node:assert/strict';
import { test } from 'node:test';
import { parseQuery } from '@instant-logs/query-language';
import type { LogFilter } from './log-store.ts';
import { edgeFilters, rollupSpan } from './volume-rollup.ts';

const M = 60_000_000_000n;
const filter = (fromNs: bigint, toNs: bigint, over: Partial<LogFilter> = {}): LogFilter => ({
  tenant: 't',
  fromNs,
  toNs,
  services: [],
  levels: [],
  query: null,
  ...over,
});
const range = (f: LogFilter) => [f.fromNs, f.toNs];

test('the rollup span is the whole minutes inside the range, and the edges are the rest of it', () => {
  const cases: [bigint, bigint, [bigint, bigint] | null, bigint[][]][] = [
    // from, to (inclusive), whole minutes [from, to), edge ranges (inclusive)
    [10n * M, 20n * M - 1n, [10n * M, 20n * M], []],
    [
      10n * M + 1n,
      20n * M,
      [11n * M, 20n * M],
      [
        [10n * M + 1n, 11n * M - 1n],
        [20n * M, 20n * M],
      ],
    ],
    [
      10n * M - 1n,
      20n * M - 2n,
      [10n * M, 19n * M],
      [
        [10n * M - 1n, 10n * M - 1n],
        [19n * M, 20n * M - 2n],
      ],
    ],
    [10n * M + 5n, 11n * M + 5n, null, []],
    [10n * M, 10n * M + 5n, null, []],
  ];
  for (const [from, to, span, edges] of cases) {
    const f = filter(from, to);
    const got = rollupSpan(f, 60_000);
    assert.deepEqual(got && [got.fromNs, got.toNs], span);
    if (got) assert.deepEqual(edgeFilters(f, got).map(range), edges);
  }
});

test('a query, sub-minute buckets or a range before 1970 read the logs', () => {
  assert.equal(rollupSpan(filter(0n, 100n * M, { query: parseQuery('timeout') }), 60_000), null);
  assert.equal(rollupSpan(filter(0n, 100n * M), 30_000), null);
  assert.equal(rollupSpan(filter(-M, 100n * M), 60_000), null);
  assert.ok(rollupSpan(filter(0n, 100n * M, { services: ['api'], levels: ['error'] }), 300_000));
});
