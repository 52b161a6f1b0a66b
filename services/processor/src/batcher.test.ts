import { test } from 'node:test';
import assert from 'node:assert/strict';
import { QueueFullError, QueueRejectedError, QueueUnavailableError } from '@instant-logs/queue';
import { createBatcher, type BatcherOptions } from './batcher.ts';

class Transient extends Error {}

const chunk = (rows: number, tag = 'r') => ({
  tenant: 't',
  rows,
  data: Buffer.from(Array.from({ length: rows }, (_, i) => `{"${tag}":${i}}`).join('\n')),
});

function options(overrides: Partial<BatcherOptions>): BatcherOptions {
  return {
    insert: async () => {},
    isTransient: (err) => err instanceof Transient,
    maxRows: 1000,
    maxBytes: 1 << 20,
    maxWaitMs: 5,
    maxPendingRows: 10_000,
    retry: { initialMs: 1, maxMs: 4, giveUpAfterMs: 200 },
    ...overrides,
  };
}

test('concurrent submits share one insert and all resolve after it', async () => {
  const inserts: number[] = [];
  const b = createBatcher(options({ insert: async (_d, rows) => void inserts.push(rows) }));
  await Promise.all([b.submit(chunk(3)), b.submit(chunk(4)), b.submit(chunk(5))]);
  assert.deepEqual(inserts, [12]);
  assert.equal(b.pendingRows(), 0);
});

test('a batch is written as soon as it reaches maxRows without waiting for the timer', async () => {
  const inserts: number[] = [];
  const b = createBatcher(
    options({ maxRows: 6, maxWaitMs: 60_000, insert: async (_d, rows) => void inserts.push(rows) }),
  );
  await Promise.all([b.submit(chunk(6)), b.submit(chunk(6)), b.submit(chunk(6))]);
  assert.deepEqual(inserts, [6, 6, 6]);
});

test('the insert receives every row exactly once, newline-joined', async () => {
  let seen = '';
  const b = createBatcher(options({ insert: async (data) => void (seen += data) }));
  await Promise.all([b.submit(chunk(2, 'a')), b.submit(chunk(2, 'b'))]);
  assert.equal(seen, '{"a":0}\n{"a":1}\n{"b":0}\n{"b":1}');
});

test('transient failures are retried with the same dedup token until they clear', async () => {
  const tokens: string[] = [];
  let calls = 0;
  const b = createBatcher(
    options({
      insert: async (_d, _r, token) => {
        tokens.push(token);
        if (++calls < 4) throw new Transient('store busy');
      },
    }),
  );
  await b.submit(chunk(5));
  assert.equal(calls, 4);
  assert.equal(new Set(tokens).size, 1);
});

test('a store that stays down fails the submit with QueueUnavailableError after the give-up time', async () => {
  const b = createBatcher(options({ insert: async () => Promise.reject(new Transient('down')) }));
  await assert.rejects(b.submit(chunk(1)), QueueUnavailableError);
  assert.equal(b.pendingRows(), 0);
});

test('a permanent failure rejects only the submit that caused it', async () => {
  const b = createBatcher(
    options({
      maxWaitMs: 20,
      insert: async (data) => {
        if (data.includes('poison')) throw new Error('Cannot parse input');
      },
    }),
  );
  const results = await Promise.allSettled([
    b.submit(chunk(2, 'good')),
    b.submit(chunk(1, 'poison')),
    b.submit(chunk(3, 'fine')),
  ]);
  assert.equal(results[0].status, 'fulfilled');
  assert.equal(results[1].status, 'rejected');
  assert.ok((results[1] as PromiseRejectedResult).reason instanceof QueueRejectedError);
  assert.equal(results[2].status, 'fulfilled');
});

test('beyond maxPendingRows a submit is refused with QueueFullError while earlier ones complete', async () => {
  let release!: () => void;
  const gate = new Promise<void>((r) => (release = r));
  const b = createBatcher(options({ maxPendingRows: 10, insert: () => gate }));
  const first = b.submit(chunk(8));
  await assert.rejects(b.submit(chunk(5)), QueueFullError);
  release();
  await first;
  await b.submit(chunk(5));
});

test('close stores what is pending and refuses new work', async () => {
  let stored = 0;
  const b = createBatcher(options({ maxWaitMs: 60_000, insert: async (_d, rows) => void (stored += rows) }));
  const pending = b.submit(chunk(7));
  await b.close();
  await pending;
  assert.equal(stored, 7);
  await assert.rejects(b.submit(chunk(1)), QueueUnavailableError);
});
