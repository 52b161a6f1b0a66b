import { test } from 'node:test';
import assert from 'node:assert/strict';
import fc from 'fast-check';
import { commonTimestampText, formatTimestamp, parseTimeExpression, parseTimestamp } from './time.ts';

test('relative expressions count back from now', () => {
  const now = Date.parse('2026-11-23T12:00:00Z');
  assert.equal(parseTimeExpression('now', now), BigInt(now) * 1_000_000n);
  assert.equal(parseTimeExpression('now-15m', now), BigInt(now - 15 * 60_000) * 1_000_000n);
  assert.equal(parseTimeExpression('now-7d', now), BigInt(now - 7 * 86_400_000) * 1_000_000n);
  assert.equal(parseTimeExpression('now-3x', now), undefined);
  assert.equal(parseTimeExpression('2026-11-23T11:00:00Z', now), BigInt(now - 3_600_000) * 1_000_000n);
});

test('invalid timestamps are refused rather than guessed', () => {
  for (const bad of ['2026-13-01T00:00:00Z', '2026-11-23', 'now', '-5', '', '2026-11-23T10:00:00'])
    assert.equal(parseTimestamp(bad), undefined, bad);
  assert.equal(parseTimestamp(-1), undefined);
  assert.equal(parseTimestamp(Number.NaN), undefined);
});

test('formatting round-trips nanoseconds', () => {
  const ns = 1_795_000_000_000_000_001n;
  assert.equal(parseTimestamp(formatTimestamp(ns)), ns);
});

const two = (max: number) => fc.integer({ min: 0, max }).map((n) => String(n).padStart(2, '0'));
// Every field a digit pair or quadruple, valid or not: February 30th, hour 24, second 60, year 2262.
const utcText = fc
  .tuple(
    fc.integer({ min: 1960, max: 2270 }),
    two(13),
    two(32),
    two(25),
    two(61),
    two(61),
    fc.stringMatching(/^(\.\d{1,10})?$/),
  )
  .map(([y, mo, d, h, mi, s, fraction]) => `${y}-${mo}-${d}T${h}:${mi}:${s}${fraction}Z`);
const epochMs = fc.oneof(
  fc.integer({ min: -10, max: 9_223_372_036_860 }),
  fc.double({ min: 0, max: 1e13 }),
  // Day, leap-day, century and range edges.
  fc.constantFrom(
    0,
    86_399_999,
    86_400_000,
    951_782_400_000,
    951_868_799_999,
    4_107_542_399_999,
    4_107_542_400_000,
    9_223_372_036_854,
    9_223_372_036_855,
  ),
);

test('the common-form formatter agrees with parsing and formatting wherever it answers', () => {
  fc.assert(
    fc.property(fc.oneof(utcText, epochMs), (value) => {
      const text = commonTimestampText(value);
      if (text === undefined) return;
      const ns = parseTimestamp(value);
      assert.ok(ns !== undefined, `${value} is accepted only when parseTimestamp accepts it`);
      assert.equal(text, formatTimestamp(ns));
    }),
    { numRuns: 5000 },
  );
});

test('the common-form formatter answers for every UTC text and epoch millisecond of the storable years before 2262', () => {
  const ms = fc.integer({ min: 0, max: Date.parse('2262-01-01T00:00:00Z') - 1 });
  fc.assert(
    fc.property(ms, fc.stringMatching(/^(\.\d{1,9})?$/), (at, fraction) => {
      assert.ok(commonTimestampText(at) !== undefined);
      assert.ok(commonTimestampText(`${new Date(at).toISOString().slice(0, 19)}${fraction}Z`) !== undefined);
    }),
  );
});
