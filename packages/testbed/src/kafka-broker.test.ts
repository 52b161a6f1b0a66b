import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { once } from 'node:events';
import { mkdtemp, rm } from 'node:fs/promises';
import { connect } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test } from 'node:test';
import { setTimeout as delay } from 'node:timers/promises';
import { Kafka, logLevel, Partitioners, type Admin } from 'kafkajs';
import { startKafkaBroker } from './kafka-broker.ts';

const TOPIC = 'logs';
const COUNT = 1000;

test('messages and committed offsets survive a kill -9 and restart of the broker', async (t) => {
  let mark = performance.now();
  const lap = () => {
    const ms = Math.round(performance.now() - mark);
    mark = performance.now();
    return ms;
  };
  const broker = await startKafkaBroker();
  t.after(() => broker.stop());
  t.diagnostic(`broker started in ${lap()} ms`);
  await broker.createTopic(TOPIC, { partitions: 3 });
  const kafka = new Kafka({ clientId: 'kafka-broker-test', brokers: [broker.bootstrap], logLevel: logLevel.WARN });

  // DefaultPartitioner is the Java client's murmur2 one; naming it also silences kafkajs' v2 warning.
  const producer = kafka.producer({ idempotent: true, createPartitioner: Partitioners.DefaultPartitioner });
  await producer.connect();
  const messages = Array.from({ length: COUNT }, (_, i) => ({ key: `k${i}`, value: `m${i}` }));
  await producer.send({ topic: TOPIC, acks: -1, messages });
  await producer.disconnect();

  const first = await consume(kafka, 'first', (seen) => seen.length >= COUNT);
  assert.deepEqual(first.toSorted(), messages.map((m) => m.value).toSorted());
  const committed = await withAdmin(kafka, (admin) => committedOffsets(admin, 'first'));
  assert.deepEqual(committed, await withAdmin(kafka, (admin) => highWatermarks(admin)));
  t.diagnostic(`produced and consumed ${COUNT} messages in ${lap()} ms`);

  await broker.kill();
  await broker.restart();
  t.diagnostic(`killed and restarted in ${lap()} ms`);
  assert.deepEqual(await withAdmin(kafka, (admin) => committedOffsets(admin, 'first')), committed);

  // One marker per partition, written after the restart: a group resuming from its committed
  // offsets must see each marker first, so "nothing old re-delivered" needs no waiting.
  const again = kafka.producer({ idempotent: true, createPartitioner: Partitioners.DefaultPartitioner });
  await again.connect();
  await again.send({
    topic: TOPIC,
    acks: -1,
    messages: [0, 1, 2].map((partition) => ({ partition, value: `marker-${partition}` })),
  });
  await again.disconnect();
  const resumed = await consume(kafka, 'first', (seen) => seen.length >= 3);
  assert.deepEqual(resumed.toSorted(), ['marker-0', 'marker-1', 'marker-2']);

  const replay = await consume(kafka, 'replay', (seen) => seen.length >= COUNT + 3);
  assert.equal(replay.length, COUNT + 3);
  assert.deepEqual(replay.filter((v) => !v.startsWith('marker-')).toSorted(), messages.map((m) => m.value).toSorted());
  t.diagnostic(`re-consumed after restart in ${lap()} ms`);
});

test('the broker dies with the process that started it, even on SIGKILL', async (t) => {
  const dataDir = await mkdtemp(join(tmpdir(), 'kafka-orphan-'));
  const module = new URL('./kafka-broker.ts', import.meta.url).href;
  const script = `const { startKafkaBroker } = await import(${JSON.stringify(module)});
    const broker = await startKafkaBroker({ dataDir: ${JSON.stringify(dataDir)} });
    console.log(broker.port); setInterval(() => {}, 60_000);`;
  const parent = spawn(process.execPath, ['--input-type=module', '-e', script], { stdio: ['ignore', 'pipe', 'pipe'] });
  t.after(() => (parent.kill('SIGKILL'), rm(dataDir, { recursive: true, force: true })));
  let stderr = '';
  parent.stderr.setEncoding('utf8').on('data', (s: string) => (stderr += s));
  const [line] = (await Promise.race([once(parent.stdout, 'data'), once(parent, 'exit')])) as [Buffer | number];
  assert.ok(Buffer.isBuffer(line), `the parent exited before the broker started: ${stderr}`);
  const port = Number(line.toString().trim());
  assert.equal(await accepts(port), true);

  parent.kill('SIGKILL');
  const deadline = Date.now() + 15_000;
  while (await accepts(port)) {
    assert.ok(Date.now() < deadline, `broker on port ${port} outlived its parent`);
    await delay(50);
  }
});

// Runs a consumer group from its committed offsets (earliest for a new group) until `done`;
// disconnecting commits what was consumed.
async function consume(kafka: Kafka, groupId: string, done: (seen: string[]) => boolean): Promise<string[]> {
  const consumer = kafka.consumer({ groupId });
  const seen: string[] = [];
  await consumer.connect();
  try {
    await consumer.subscribe({ topic: TOPIC, fromBeginning: true });
    await new Promise<void>((resolve, reject) => {
      const timer = setTimeout(() => reject(new Error(`group ${groupId} saw ${seen.length} messages in 60 s`)), 60_000);
      consumer.on(consumer.events.CRASH, ({ payload }) => reject(payload.error));
      consumer
        .run({
          eachMessage: async ({ message }) => {
            seen.push(message.value?.toString() ?? '');
            if (done(seen)) {
              clearTimeout(timer);
              resolve();
            }
          },
        })
        .catch(reject);
    });
  } finally {
    await consumer.disconnect();
  }
  return seen;
}

async function withAdmin<T>(kafka: Kafka, use: (admin: Admin) => Promise<T>): Promise<T> {
  const admin = kafka.admin();
  await admin.connect();
  try {
    return await use(admin);
  } finally {
    await admin.disconnect();
  }
}

async function committedOffsets(admin: Admin, groupId: string): Promise<Record<number, string>> {
  const [topic] = await admin.fetchOffsets({ groupId, topics: [TOPIC] });
  return Object.fromEntries((topic?.partitions ?? []).map((p) => [p.partition, p.offset]));
}

async function highWatermarks(admin: Admin): Promise<Record<number, string>> {
  const partitions = await admin.fetchTopicOffsets(TOPIC);
  return Object.fromEntries(partitions.map((p) => [p.partition, p.high]));
}

function accepts(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const socket = connect(port, '127.0.0.1');
    socket.once('connect', () => (socket.destroy(), resolve(true)));
    socket.once('error', () => resolve(false));
  });
}
