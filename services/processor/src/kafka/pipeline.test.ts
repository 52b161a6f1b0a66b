import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import { Kafka, logLevel, Partitioners } from 'kafkajs';
import { Registry } from 'prom-client';
import { buildApp as buildCollector } from '@instant-logs/collector';
import { createKafkaQueue, type KafkaQueue } from '@instant-logs/queue';
import { parseApiKeys } from '@instant-logs/service-kit';
import { createHttpTransport, createLogStore, type ClickHouseTransport, type LogStore } from '@instant-logs/store';
import {
  startClickHouseServer,
  startKafkaBroker,
  waitUntil as waitFor,
  type ClickHouseServer,
  type KafkaBroker,
} from '@instant-logs/testbed';
import { createProcessorMetrics } from '../metrics.ts';
import { createKafkaProcessor, type KafkaProcessor } from './consumer.ts';
import { startTracing } from '@instant-logs/telemetry';
import { InMemorySpanExporter, SimpleSpanProcessor } from '@opentelemetry/sdk-trace';

// collector → real Kafka broker → processor group → real ClickHouse server, all in this process.
let broker: KafkaBroker;
let clickhouse: ClickHouseServer;
let transport: ClickHouseTransport;
let store: LogStore;
let seq = 0;

const spans = new InMemorySpanExporter();
const tracing = startTracing('pipeline-test', {}, new SimpleSpanProcessor({ exporter: spans }));

before(async () => {
  [broker, clickhouse] = await Promise.all([startKafkaBroker(), startClickHouseServer()]);
  transport = createHttpTransport({ url: clickhouse.url });
  store = createLogStore(transport, 'kafka_pipeline');
  await store.migrate();
});
after(async () => {
  await tracing.shutdown();
  await transport.close();
  await Promise.all([broker.stop(), clickhouse.stop()]);
});

async function topics() {
  const name = `logs-${++seq}`;
  await broker.createTopic(name, { partitions: 3 });
  await broker.createTopic(`${name}-dlq`, { partitions: 1 });
  return { topic: name, deadLetterTopic: `${name}-dlq` };
}

function startProcessor(
  t: { topic: string; deadLetterTopic: string; onWaiting?: (why: string) => void },
  registry = new Registry(),
): { processor: KafkaProcessor; metrics: ReturnType<typeof createProcessorMetrics> } {
  const metrics = createProcessorMetrics(registry);
  const processor = createKafkaProcessor(
    store,
    {
      brokers: [broker.bootstrap],
      clientId: 'test-processor',
      groupId: `${t.topic}-group`,
      ...t,
      limits: { maxRows: 2000, maxBytes: 4 * 1024 * 1024 },
      fetchMinBytes: 1,
      fetchMaxWaitMs: 100,
      partitionsConcurrently: 3,
      backoff: { initialMs: 50, maxMs: 500 },
    },
    metrics.kafkaObserver,
  );
  return { processor, metrics };
}

/** A stored record's line as the collector queues it, for tests that write to the topic directly. */
const queuedRecord = (tenant: string, id: string, body: string) =>
  JSON.stringify({
    id,
    tenant,
    timestamp: new Date().toISOString(),
    observed_timestamp: new Date().toISOString(),
    service: 's',
    level: 'info',
    severity_text: 'INFO',
    severity_number: 9,
    body,
    attributes: {},
    resource: {},
    trace_id: '',
    span_id: '',
  });

/** A plain client of the test broker. */
const kafkaClient = () => new Kafka({ brokers: [broker.bootstrap], logLevel: logLevel.NOTHING });

/** A plain producer to the test broker, connected. */
async function connectedProducer(kafka = kafkaClient()) {
  const producer = kafka.producer({ createPartitioner: Partitioners.DefaultPartitioner });
  await producer.connect();
  return producer;
}

async function storedIds(tenant: string): Promise<string[]> {
  const rows = await transport.query<{ id: string }>(
    `SELECT id FROM kafka_pipeline.logs WHERE tenant = {t:String} ORDER BY id`,
    { t: tenant },
  );
  return rows.map((r) => r.id);
}

const CALLER_TRACE_ID = '4bf92f3577b34da6a3ce929d0e0e4736';
const CALLER_SPAN_ID = '00f067aa0ba902b7';
const checksum = (ids: string[]) =>
  createHash('sha256')
    .update([...ids].sort().join('\n'))
    .digest('hex');

test('records acknowledged over HTTP all arrive in ClickHouse exactly once', async () => {
  const t = await topics();
  const queue: KafkaQueue = createKafkaQueue({
    brokers: [broker.bootstrap],
    topic: t.topic,
    clientId: 'test-collector',
    compression: 'gzip',
    maxInFlightBytes: 64 << 20,
    sendTimeoutMs: 10_000,
  });
  await queue.connect();
  const collector = buildCollector({ queue, keyring: parseApiKeys('pipeline-test-key-01:pipeline') });
  const { processor } = startProcessor(t);
  await processor.start();
  try {
    const services = ['api', 'checkout', 'payments', 'search'];
    const markers: string[] = [];
    for (let r = 0; r < 10; r++) {
      const body = Array.from({ length: 500 }, (_, i) => {
        const marker = `m-${r}-${i}`;
        markers.push(marker);
        return JSON.stringify({ service: services[i % 4], message: `request ${marker} done`, attributes: { marker } });
      }).join('\n');
      const res = await collector.inject({
        method: 'POST',
        url: '/api/v1/logs',
        payload: body,
        headers: {
          'content-type': 'application/x-ndjson',
          authorization: 'Bearer pipeline-test-key-01',
          traceparent: `00-${CALLER_TRACE_ID}-${CALLER_SPAN_ID}-01`,
        },
      });
      assert.equal(res.statusCode, 202, res.body);
    }
    const ids = await waitFor('5000 rows', async () => {
      const got = await storedIds('pipeline');
      return got.length >= 5000 ? got : undefined;
    });
    assert.equal(ids.length, 5000);
    assert.equal(new Set(ids).size, 5000, 'no duplicates');
    const stored = await transport.query<{ marker: string }>(
      `SELECT attributes['marker'] AS marker FROM kafka_pipeline.logs WHERE tenant = 'pipeline'`,
    );
    assert.equal(checksum(stored.map((r) => r.marker)), checksum(markers));

    // The trace continues from the caller's traceparent into the ingest span, and every insert
    // span links back to the ingest spans whose records it wrote.
    const ingest = spans.getFinishedSpans().filter((s) => s.name === 'ingest logs');
    assert.equal(ingest.length, 10);
    assert.ok(
      ingest.every(
        (s) => s.spanContext().traceId === CALLER_TRACE_ID && s.parentSpanContext?.spanId === CALLER_SPAN_ID,
      ),
    );
    const inserts = spans.getFinishedSpans().filter((s) => s.name === 'insert logs');
    assert.ok(inserts.length > 0);
    const linked = new Set(inserts.flatMap((s) => s.links.map((l) => l.context.spanId)));
    assert.deepEqual([...linked].sort(), ingest.map((s) => s.spanContext().spanId).sort());
  } finally {
    await processor.stop();
    await collector.close();
    await queue.close();
  }
});

test('a processor started before its topic exists waits for it, then stores what arrives', async () => {
  const t = { topic: `late-${++seq}`, deadLetterTopic: `late-${seq}-dlq`, waits: [] as string[] };
  const { processor } = startProcessor({ ...t, onWaiting: (why) => t.waits.push(why) });
  const started = processor.start();
  try {
    await waitFor('the processor to wait for its topic', async () => (t.waits.length > 0 ? true : undefined));
    assert.match(t.waits[0]!, new RegExp(`topic ${t.topic} does not exist yet`));
    await broker.createTopic(t.topic, { partitions: 1 });
    await broker.createTopic(t.deadLetterTopic, { partitions: 1 });
    await started;
    const producer = await connectedProducer();
    await producer.send({
      topic: t.topic,
      messages: [
        {
          key: 'late/s',
          value: queuedRecord('late', 'late-1', 'after the wait'),
          headers: { tenant: 'late', rows: '1' },
        },
      ],
    });
    await producer.disconnect();
    assert.deepEqual(
      await waitFor('the record stored', async () => {
        const ids = await storedIds('late');
        return ids.length > 0 ? ids : undefined;
      }),
      ['late-1'],
    );
  } finally {
    await started.catch(() => {});
    await processor.stop();
  }
});

test('poison records go to the dead-letter topic with their reason while their neighbours are stored', async () => {
  const t = await topics();
  const kafka = kafkaClient();
  const producer = await connectedProducer(kafka);
  const good = (id: string) => queuedRecord('poison', id, 'fine');
  const lines = [
    good('g1'),
    good('g2'),
    '{"id":"bad-1","tenant":"poison","timestamp":"not a time at all"}',
    good('g3'),
    'this is not json',
    good('g4'),
  ];
  await producer.send({
    topic: t.topic,
    messages: [{ key: 'poison/s', value: lines.join('\n'), headers: { tenant: 'poison', rows: String(lines.length) } }],
  });
  await producer.disconnect();
  const { processor, metrics } = startProcessor(t);
  await processor.start();
  try {
    const ids = await waitFor('good rows', async () => {
      const got = await storedIds('poison');
      return got.length >= 4 ? got : undefined;
    });
    assert.deepEqual(ids, ['g1', 'g2', 'g3', 'g4']);
    const dead: { value: string; error: string; offset: string }[] = [];
    const consumer = kafka.consumer({ groupId: `${t.topic}-inspect` });
    await consumer.connect();
    await consumer.subscribe({ topic: t.deadLetterTopic, fromBeginning: true });
    await consumer.run({
      eachMessage: async ({ message }) => {
        dead.push({
          value: message.value!.toString(),
          error: message.headers!['dlq.error']!.toString(),
          offset: message.headers!['dlq.source.offset']!.toString(),
        });
      },
    });
    await waitFor('two dead letters', async () => (dead.length >= 2 ? true : undefined));
    await consumer.disconnect();
    assert.deepEqual(
      dead.map((d) => d.value).sort(),
      ['this is not json', '{"id":"bad-1","tenant":"poison","timestamp":"not a time at all"}'].sort(),
    );
    assert.ok(dead.every((d) => d.error.length > 0 && d.offset === '0'));
    assert.equal((await metrics.deadLettered.get()).values[0]?.value, 2);
  } finally {
    await processor.stop();
  }
});

test('a batch inserted just before a crash is not stored twice when the next processor replays it', async () => {
  const t = await topics();
  const kafka = kafkaClient();
  const producer = await connectedProducer(kafka);
  const line = (id: string) => queuedRecord('crash', id, id);
  // Ten messages on partition 0, two records each.
  await producer.send({
    topic: t.topic,
    messages: Array.from({ length: 10 }, (_, i) => ({
      partition: 0,
      value: `${line(`c${i}a`)}\n${line(`c${i}b`)}`,
      headers: { tenant: 'crash', rows: '2' },
    })),
  });
  await producer.disconnect();

  // What a processor that died between its insert and its final commit leaves behind: the intent
  // for offsets 0–5 in the group's committed metadata, and those rows already in ClickHouse.
  const { encodeIntent, dedupToken } = await import('./intent.ts');
  const crashed = kafka.consumer({ groupId: `${t.topic}-group` });
  await crashed.connect();
  await crashed.subscribe({ topic: t.topic, fromBeginning: true });
  let committed = false;
  await crashed.run({
    autoCommit: false,
    eachBatchAutoResolve: false,
    eachBatch: async ({ batch }) => {
      if (batch.partition !== 0 || committed) return;
      await crashed.commitOffsets([{ topic: t.topic, partition: 0, offset: '0', metadata: encodeIntent(5n) }]);
      committed = true;
    },
  });
  await waitFor('the intent commit', async () => (committed ? true : undefined));
  await crashed.disconnect();
  const firstSix = Array.from({ length: 6 }, (_, i) => `${line(`c${i}a`)}\n${line(`c${i}b`)}`).join('\n');
  await store.insert(firstSix, { dedupToken: dedupToken(t.topic, 0, 0n, 5n) });
  assert.equal((await storedIds('crash')).length, 12);

  const { processor } = startProcessor(t);
  await processor.start();
  try {
    await waitFor('all 20 records', async () => ((await storedIds('crash')).length >= 20 ? true : undefined));
    // Let the processor commit past the end, then check nothing was added twice.
    await waitFor('offsets committed to the end', async () => {
      const a = kafka.admin();
      await a.connect();
      const [o] = await a.fetchOffsets({ groupId: `${t.topic}-group`, topics: [t.topic] });
      await a.disconnect();
      return o?.partitions.find((p) => p.partition === 0)?.offset === '10' ? true : undefined;
    });
    const ids = await storedIds('crash');
    assert.equal(ids.length, 20);
    assert.equal(new Set(ids).size, 20);
  } finally {
    await processor.stop();
  }
});
