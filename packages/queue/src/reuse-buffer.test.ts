import assert from 'node:assert/strict';
import { test } from 'node:test';
import { ReuseBuffer } from './reuse-buffer.ts';

test('slices taken between resets do not overlap, and a reset hands the same memory out again', () => {
  const memory = new ReuseBuffer();
  const first = memory.take(10).fill(1);
  const second = memory.take(20).fill(2);
  assert.ok(
    first.every((b) => b === 1),
    'a later slice overwrote an earlier one',
  );
  assert.equal(second.length, 20);
  memory.reset();
  const again = memory.take(10);
  assert.equal(again.buffer, first.buffer, 'after a reset the memory is used again');
  assert.equal(again.byteOffset, first.byteOffset);
});

test('a slice that does not fit beside others gets memory of its own; an empty buffer grows instead', () => {
  const memory = new ReuseBuffer();
  const small = memory.take(100).fill(7);
  const large = memory.take(1_000);
  assert.notEqual(large.buffer, small.buffer, 'held slices must keep their memory');
  assert.ok(small.every((b) => b === 7));
  memory.reset();
  const grown = memory.take(1_000);
  assert.equal(grown.length, 1_000);
  const next = memory.take(10);
  assert.equal(next.buffer, grown.buffer, 'the grown buffer has room left for more');
  memory.reset();
  assert.equal(memory.take(1_000).buffer, grown.buffer, 'a reset keeps the grown buffer');
});
