import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { startKafkaBroker, waitUntil, type KafkaBroker } from '@instant-logs/testbed';
import { createKafkaClient } from './kafka-client.ts';
import fc from 'fast-check';
import { MAX_MESSAGE_BYTES } from './kafka-messages.ts';
import { createKafkaQueue, pack, type KafkaCompression } from './kafka-queue.ts';

let broker: KafkaBroker;
before(async () => {
  broker = await startKafkaBroker();
});
after(() => broker.stop());

// Distinct, hard-to-compress lines (random hex), so a compressed batch stays about as large as its input.
const chunk = (tenant: string, service: string, rows: number, bodyBytes: number) => {
  const lines = Array.from({ length: rows }, () =>
    JSON.stringify({
      id: randomBytes(8).toString('hex'),
      tenant,
      service,
      body: randomBytes(bodyBytes / 2).toString('hex'),
    }),
  );
  return { tenant, rows, data: Buffer.from(lines.join('\n')), ids: lines.map((l) => JSON.parse(l).id as string) };
};

/** Every record id on the topic, read back from the beginning by a real consumer (which must decompress). */
async function readIds(topic: string, expected: number): Promise<string[]> {
  const consumer = createKafkaClient({ clientId: 'read-back', brokers: [broker.bootstrap] }).consumer({
    groupId: `read-${topic}`,
  });
  const ids: string[] = [];
  await consumer.connect();
  await consumer.subscribe({ topic, fromBeginning: true });
  await consumer.run({
    eachMessage: async ({ message }) => {
      for (const line of message.value!.toString().split('\n')) ids.push(JSON.parse(line).id);
    },
  });
  try {
    await waitUntil(`${expected} records read back`, () => ids.length >= expected, 60_000);
  } finally {
    await consumer.disconnect();
  }
  return ids;
}

async function publishConcurrently(topic: string, compression: KafkaCompression, chunks: ReturnType<typeof chunk>[]) {
  const queue = createKafkaQueue({
    brokers: [broker.bootstrap],
    topic,
    clientId: `test-${topic}`,
    maxInFlightBytes: 256 * 1024 * 1024,
    sendTimeoutMs: 20_000,
    compression,
  });
  await queue.connect();
  try {
    await Promise.all(chunks.map((c) => queue.publish(c)));
    return queue.sends();
  } finally {
    await queue.close();
  }
}

for (const compression of ['zstd', 'gzip', 'none'] as const) {
  test(`${compression}: concurrent publishes share produce requests, and every record is on the topic once`, async () => {
    const topic = `coalesce-${compression}`;
    await broker.createTopic(topic, { partitions: 3 });
    const chunks = Array.from({ length: 40 }, (_, i) => chunk(`t${i % 3}`, `svc${i % 5}`, 50, 200));
    const sends = await publishConcurrently(topic, compression, chunks);
    assert.ok(sends < chunks.length, `${chunks.length} publishes took ${sends} produce requests`);
    const expected = chunks.flatMap((c) => c.ids);
    const ids = await readIds(topic, expected.length);
    assert.deepEqual(ids.toSorted(), expected.toSorted());
  });
}

test('a topic whose compression.type is zstd is read back whatever the producer sent', async () => {
  const topic = 'topic-zstd';
  await broker.createTopic(topic, { partitions: 1, config: { 'compression.type': 'zstd' } });
  const chunks = Array.from({ length: 4 }, (_, i) => chunk('t', `svc${i}`, 20, 100));
  await publishConcurrently(topic, 'gzip', chunks);
  const expected = chunks.flatMap((c) => c.ids);
  const ids = await readIds(topic, expected.length);
  assert.deepEqual(ids.toSorted(), expected.toSorted());
});

test('publishes of one service beyond the broker limit together are packed into several requests, none refused', async () => {
  const topic = 'pack-one-partition';
  // The broker's default max.message.bytes (1 MiB): eight 300 kB publishes of one service would be 2.4 MB in one
  // partition's batch, which the broker refuses.
  await broker.createTopic(topic, { partitions: 3 });
  const chunks = Array.from({ length: 8 }, () => chunk('t', 'api', 200, 1500));
  assert.ok(chunks.every((c) => c.data.length > 300_000));
  const sends = await publishConcurrently(topic, 'none', chunks);
  assert.ok(sends >= 3, `${sends} produce requests`);
  const expected = chunks.flatMap((c) => c.ids);
  const ids = await readIds(topic, expected.length);
  assert.deepEqual(ids.toSorted(), expected.toSorted());
});

test('a lone publish over the broker limit goes in several requests rather than failing', async () => {
  const topic = 'lone-too-large';
  await broker.createTopic(topic, { partitions: 1 });
  // 2.5 MB of one service: three messages under MAX_MESSAGE_BYTES each, over the 1 MiB limit together.
  const big = chunk('t', 'api', 1000, 2500);
  assert.ok(big.data.length > 2_000_000);
  const sends = await publishConcurrently(topic, 'none', [big]);
  assert.ok(sends >= 3, `${sends} produce requests`);
  const ids = await readIds(topic, big.ids.length);
  assert.deepEqual(ids.toSorted(), big.ids.toSorted());
});

test('after a request the broker refuses, the next goes through a new producer and is stored', async () => {
  const topic = 'after-refusal';
  await broker.createTopic(topic, { partitions: 1, config: { 'max.message.bytes': '4000' } });
  const queue = createKafkaQueue({
    brokers: [broker.bootstrap],
    topic,
    clientId: 'test-refusal',
    maxInFlightBytes: 1 << 20,
    sendTimeoutMs: 20_000,
    compression: 'none',
  });
  await queue.connect();
  try {
    const refused = await queue.publish(chunk('t', 'api', 1, 6000)).then(
      () => undefined,
      (err: unknown) => err,
    );
    assert.ok(refused instanceof Error, 'a record over the topic limit is refused');
    // A failed request may leave kafkajs' sequence numbers behind the broker's; a new producer id starts afresh.
    assert.equal(queue.producers(), 2);
    const small = chunk('t', 'api', 3, 100);
    await queue.publish(small);
    assert.deepEqual((await readIds(topic, 3)).toSorted(), small.ids.toSorted());
  } finally {
    await queue.close();
  }
});

test('packing keeps the order and never puts more than the limit of one partition in a request', () => {
  fc.assert(
    fc.property(
      fc.array(
        fc.record({ partition: fc.integer({ min: 0, max: 3 }), size: fc.integer({ min: 1, max: MAX_MESSAGE_BYTES }) }),
        {
          maxLength: 40,
        },
      ),
      (specs) => {
        const messages = specs.map((s, i) => ({ key: String(i), value: Buffer.alloc(s.size), partition: s.partition }));
        const parts = pack(messages);
        assert.deepEqual(parts.flat(), messages);
        for (const part of parts) {
          assert.ok(part.length > 0);
          const load = new Map<number, number>();
          for (const m of part) load.set(m.partition, (load.get(m.partition) ?? 0) + m.value.length);
          assert.ok([...load.values()].every((bytes) => bytes <= MAX_MESSAGE_BYTES));
        }
        // Greedy: a request is only cut where the next message would not fit.
        for (let i = 1; i < parts.length; i++) {
          const next = parts[i]![0]!;
          const before = parts[i - 1]!.filter((m) => m.partition === next.partition);
          assert.ok(before.reduce((n, m) => n + m.value.length, 0) + next.value.length > MAX_MESSAGE_BYTES);
        }
      },
    ),
    { numRuns: 200 },
  );
});
