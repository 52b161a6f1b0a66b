import { test } from 'node:test';
import assert from 'node:assert/strict';
import { formatTimestamp, parseTimeExpression, parseTimestamp } from './time.ts';

test('relative expressions count back from now', () => {
  const now = Date.parse('2026-11-23T12:00:00Z');
  assert.equal(parseTimeExpression('now', now), BigInt(now) * 1_000_000n);
  assert.equal(parseTimeExpression('now-15m', now), BigInt(now - 15 * 60_000) * 1_000_000n);
  assert.equal(parseTimeExpression('now-7d', now), BigInt(now - 7 * 86_400_000) * 1_000_000n);
  assert.equal(parseTimeExpression('now-3x', now), undefined);
  assert.equal(parseTimeExpression('2026-11-23T11:00:00Z', now), BigInt(now - 3_600_000) * 1_000_000n);
});

test('invalid timestamps are refused rather than guessed', () => {
  for (const bad of ['2026-13-01T00:00:00Z', '2026-11-23', 'now', '-5', '', '2026-11-23T10:00:00']) assert.equal(parseTimestamp(bad), undefined, bad);
  assert.equal(parseTimestamp(-1), undefined);
  assert.equal(parseTimestamp(Number.NaN), undefined);
});

test('formatting round-trips nanoseconds', () => {
  const ns = 1_795_000_000_000_000_001n;
  assert.equal(parseTimestamp(formatTimestamp(ns)), ns);
});
