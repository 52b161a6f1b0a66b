import { test } from 'node:test';
import assert from 'node:assert/strict';
import { createWorkQueue } from './work-queue.ts';

const fast = { baseMs: 1, maxMs: 8 };

test('a key added twice before it is taken is processed once', async () => {
  const q = createWorkQueue(fast);
  q.add('a');
  q.add('a');
  q.add('b');
  assert.equal(q.depth(), 2);
  assert.equal(await q.next(), 'a');
  assert.equal(await q.next(), 'b');
  assert.equal(q.depth(), 0);
});

test('a key added while it is processed runs again after, never concurrently', async () => {
  const q = createWorkQueue(fast);
  q.add('a');
  const key = await q.next();
  q.add('a');
  assert.equal(q.depth(), 0, 'not handed to a second worker while the first holds it');
  q.done(key!);
  assert.equal(await q.next(), 'a');
});

test('a waiting worker receives the next key added', async () => {
  const q = createWorkQueue(fast);
  const pending = q.next();
  q.add('late');
  assert.equal(await pending, 'late');
});

test('failed keys come back after a doubling delay, capped, and forget resets it', async () => {
  const q = createWorkQueue({ baseMs: 5, maxMs: 15 });
  const delays: number[] = [];
  for (let i = 0; i < 4; i++) {
    delays.push(q.addAfterFailure('x'));
    assert.equal(await q.next(), 'x');
    q.done('x');
  }
  assert.deepEqual(delays, [5, 10, 15, 15]);
  q.forget('x');
  assert.equal(q.addAfterFailure('x'), 5);
  assert.equal(await q.next(), 'x');
});

test('shutdown releases waiting workers', async () => {
  const q = createWorkQueue(fast);
  const pending = q.next();
  q.shutdown();
  assert.equal(await pending, undefined);
});
