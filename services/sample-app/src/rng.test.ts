import assert from 'node:assert/strict';
import { test } from 'node:test';
import { createRng } from './rng.ts';

test('the same seed gives the same sequence', () => {
  const a = createRng(99);
  const b = createRng(99);
  assert.deepEqual(
    Array.from({ length: 100 }, () => a.float()),
    Array.from({ length: 100 }, () => b.float()),
  );
});

test('int covers both bounds and nothing outside them', () => {
  const rng = createRng(1);
  const seen = new Set(Array.from({ length: 2000 }, () => rng.int(3, 7)));
  assert.deepEqual([...seen].sort(), [3, 4, 5, 6, 7]);
});

test('hex gives exactly the digits asked for, lowercase', () => {
  const rng = createRng(2);
  assert.match(rng.hex(32), /^[0-9a-f]{32}$/);
  assert.match(rng.hex(16), /^[0-9a-f]{16}$/);
  assert.match(rng.hex(10), /^[0-9a-f]{10}$/);
});

test('weighted picks follow their weights', () => {
  const rng = createRng(4);
  let heavy = 0;
  for (let i = 0; i < 10_000; i++)
    if (
      rng.weighted([
        ['heavy', 9],
        ['light', 1],
      ] as const) === 'heavy'
    )
      heavy++;
  assert.ok(heavy > 8700 && heavy < 9300, String(heavy));
});

test('latency is positive with its median near the one asked for', () => {
  const rng = createRng(5);
  const samples = Array.from({ length: 5001 }, () => rng.latency(40)).sort((a, b) => a - b);
  assert.ok(samples[0]! > 0);
  assert.ok(Math.abs(samples[2500]! - 40) < 3, String(samples[2500]));
});
