import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { startKafkaBroker, type KafkaBroker } from '@instant-logs/testbed';
import { fixKafkaRequestQueue, type RequestQueueInternals } from './kafka-client.ts';
import { createKafkaQueue } from './kafka-queue.ts';
import { ensureTopics } from './kafka-topics.ts';

// Node warns about a negative timeout once per process, so the watch starts before any client exists (the test
// bed's readiness check is one).
fixKafkaRequestQueue();
const warnings: Error[] = [];
const onWarning = (w: Error) => warnings.push(w);
process.on('warning', onWarning);
after(() => process.off('warning', onWarning));

let broker: KafkaBroker;
before(async () => {
  broker = await startKafkaBroker();
});
after(() => broker.stop());

/** kafkajs' own RequestQueue in a given state, without a connection. */
function requestQueue(state: Pick<RequestQueueInternals, 'pending' | 'throttledUntil'>): RequestQueueInternals {
  const RequestQueue = fixKafkaRequestQueue();
  assert.ok(RequestQueue, 'the fix applies to the kafkajs release in package.json');
  const checked: number[] = [];
  return Object.assign(Object.create(RequestQueue.prototype) as RequestQueueInternals, {
    ...state,
    throttleCheckTimeoutId: null,
    checkPendingRequests: () => checked.push(Date.now()),
  });
}

test('with nothing pending the request queue arms no check, so an idle connection does not poll', () => {
  const queue = requestQueue({ pending: [], throttledUntil: -1 });
  queue.scheduleCheckPendingRequests();
  assert.equal(queue.throttleCheckTimeoutId, null);
});

test('a request waiting out a throttle is checked when the throttle ends', () => {
  const queue = requestQueue({ pending: [{}], throttledUntil: Date.now() + 60_000 });
  queue.scheduleCheckPendingRequests();
  const timer = queue.throttleCheckTimeoutId;
  assert.ok(timer);
  // Node keeps the delay it was given: the throttle's remainder, not 1 ms.
  assert.ok((timer as unknown as { _idleTimeout: number })._idleTimeout > 59_000);
  clearTimeout(timer);
});

test('connecting and publishing to a real broker raise no TimeoutNegativeWarning', async () => {
  const plan = {
    topic: 'warn-logs',
    deadLetterTopic: 'warn-logs-dlq',
    partitions: 2,
    replicationFactor: 1,
    retentionMs: 3_600_000,
    compressionType: 'producer' as const,
    deadLetterPartitions: 1,
    deadLetterRetentionMs: 3_600_000,
  };
  await ensureTopics([broker.bootstrap], plan);
  const queue = createKafkaQueue({
    brokers: [broker.bootstrap],
    topic: 'warn-logs',
    clientId: 'warn-test',
    maxInFlightBytes: 1024 * 1024,
    sendTimeoutMs: 10_000,
    compression: 'none',
  });
  await queue.connect();
  for (let i = 0; i < 5; i++) await queue.publish({ tenant: 'default', rows: 1, data: Buffer.from(`{"n":${i}}`) });
  assert.equal(queue.inFlightBytes(), 0);
  await queue.close();
  // Warnings are emitted on a later tick than the timer that caused them.
  await new Promise((resolve) => setImmediate(resolve));
  assert.deepEqual(
    warnings.filter((w) => w.name === 'TimeoutNegativeWarning').map((w) => w.message),
    [],
  );
});
