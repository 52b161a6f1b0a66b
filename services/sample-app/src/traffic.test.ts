import assert from 'node:assert/strict';
import { test } from 'node:test';
import { createTrafficGenerator } from './generator.ts';
import { runSampleTraffic, toNdjson } from './traffic.ts';

const generator = () => createTrafficGenerator({ seed: 11 });

test('sends batches until aborted, then reports what was sent', async () => {
  const controller = new AbortController();
  const batches: object[][] = [];
  const send = async (records: object[]) => {
    batches.push(records);
    if (batches.length === 5) controller.abort();
  };
  const traffic = runSampleTraffic({
    send,
    ratePerSecond: 1_000_000,
    batchSize: 20,
    signal: controller.signal,
    generator: generator(),
  });
  const stats = await traffic.done;
  assert.equal(batches.length, 5);
  assert.ok(batches.every((b) => b.length === 20));
  assert.deepEqual(stats, { sent: 100, failed: 0 });
  assert.deepEqual(batches.flat(), generator().batch(100), 'records come from the generator in order');
});

test('swallows send failures, counts them and keeps going', async () => {
  const controller = new AbortController();
  let calls = 0;
  const send = async () => {
    calls++;
    if (calls === 6) controller.abort();
    if (calls % 2 === 1) throw new Error(`collector down (call ${calls})`);
  };
  const traffic = runSampleTraffic({
    send,
    ratePerSecond: 1_000_000,
    batchSize: 10,
    signal: controller.signal,
    generator: generator(),
  });
  const stats = await traffic.done;
  assert.equal(stats.sent, 30);
  assert.equal(stats.failed, 30);
  assert.equal(stats.lastError, 'collector down (call 5)');
  assert.equal(traffic.stats.sent, 30, 'the live stats agree with the final ones');
});

test('an already aborted signal sends nothing', async () => {
  let calls = 0;
  const traffic = runSampleTraffic({
    send: async () => void calls++,
    ratePerSecond: 100,
    signal: AbortSignal.abort(),
    generator: generator(),
  });
  assert.deepEqual(await traffic.done, { sent: 0, failed: 0 });
  assert.equal(calls, 0);
});

test('the default batch is a tenth of a second of traffic', async () => {
  const controller = new AbortController();
  const sizes: number[] = [];
  const send = async (records: object[]) => {
    sizes.push(records.length);
    controller.abort();
  };
  await runSampleTraffic({ send, ratePerSecond: 350, signal: controller.signal, generator: generator() }).done;
  assert.deepEqual(sizes, [35]);
});

test('a rate that is not positive is refused', () => {
  assert.throws(
    () => runSampleTraffic({ send: async () => {}, ratePerSecond: 0, signal: AbortSignal.abort() }),
    RangeError,
  );
});

test('toNdjson writes one JSON record per line, newline-terminated', () => {
  const records = generator().batch(3);
  const text = toNdjson(records);
  assert.ok(text.endsWith('\n'));
  assert.deepEqual(
    text
      .trimEnd()
      .split('\n')
      .map((line) => JSON.parse(line)),
    records,
  );
  assert.equal(toNdjson([]), '');
});
