import assert from 'node:assert/strict';
import { test } from 'node:test';
import { createRng } from './rng.ts';
import { createTimeQueue } from './time-queue.ts';

test('items come out earliest first, equal times in insertion order', () => {
  const queue = createTimeQueue<string>();
  for (const [at, item] of [
    [5, 'e'],
    [1, 'a'],
    [3, 'c1'],
    [3, 'c2'],
    [2, 'b'],
    [3, 'c3'],
  ] as const)
    queue.push(at, item);
  assert.equal(queue.peekTime(), 1);
  const out: string[] = [];
  while (queue.size > 0) out.push(queue.pop()!);
  assert.deepEqual(out, ['a', 'b', 'c1', 'c2', 'c3', 'e']);
  assert.equal(queue.pop(), undefined);
  assert.equal(queue.peekTime(), Infinity);
});

test('random pushes pop sorted', () => {
  const rng = createRng(3);
  const queue = createTimeQueue<number>();
  const times = Array.from({ length: 1000 }, () => rng.int(0, 100));
  for (const t of times) queue.push(t, t);
  const out = Array.from({ length: times.length }, () => queue.pop()!);
  assert.deepEqual(
    out,
    times.toSorted((a, b) => a - b),
  );
});
