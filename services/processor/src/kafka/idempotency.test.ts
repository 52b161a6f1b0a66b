import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Kafka, logLevel } from 'kafkajs';
import { Registry } from 'prom-client';
import { buildApp as buildCollector, documentClaim, forwardIdempotencyKeys } from '@instant-logs/collector';
import { createKafkaQueue, type KafkaQueue } from '@instant-logs/queue';
import { formatTimestamp, nowNs, queuedLine } from '@instant-logs/schema';
import { parseApiKeys } from '@instant-logs/service-kit';
import {
  createChdbTransport,
  createIdempotencyKeyStore,
  createLogStore,
  type ClickHouseTransport,
} from '@instant-logs/store';
import { startKafkaBroker, waitUntil, type KafkaBroker } from '@instant-logs/testbed';
import { createProcessorMetrics } from '../metrics.ts';
import { createKafkaProcessor } from './consumer.ts';
import { decodeIntent } from './intent.ts';

// A client's retry on the Kafka path: the collector as main.ts builds it → a real broker → the processor → chdb.
const DB = 'kafka_idempotency';
const API_KEY = 'idempotency-test-key-01';
let broker: KafkaBroker;
let dir: string;
let transport: ClickHouseTransport;
let queue: KafkaQueue | undefined;
let seq = 0;
const admin = () => new Kafka({ brokers: [broker.bootstrap], logLevel: logLevel.NOTHING }).admin();

before(async () => {
  broker = await startKafkaBroker();
  dir = await mkdtemp(join(tmpdir(), 'kafka-idempotency-'));
  transport = createChdbTransport({ path: dir });
  await createLogStore(transport, DB).migrate();
});
after(async () => {
  await queue?.close();
  await transport.close();
  await broker.stop();
  await rm(dir, { recursive: true, force: true });
});

/** A topic of three partitions, the collector in front of it and a way to start processors on it. */
async function pipeline() {
  const topic = `idem-${++seq}`;
  await broker.createTopic(topic, { partitions: 3 });
  await broker.createTopic(`${topic}-dlq`, { partitions: 1 });
  await queue?.close();
  queue = createKafkaQueue({
    brokers: [broker.bootstrap],
    topic,
    clientId: 'idempotency-test-collector',
    compression: 'none',
    maxInFlightBytes: 64 << 20,
    sendTimeoutMs: 10_000,
  });
  await queue.connect();
  const collector = buildCollector({
    queue,
    keyring: parseApiKeys(`${API_KEY}:shop`),
    idempotency: forwardIdempotencyKeys(),
    logger: false,
  });
  const post = async (body: string, key?: string) => {
    const res = await collector.inject({
      method: 'POST',
      url: '/api/v1/logs',
      headers: {
        authorization: `Bearer ${API_KEY}`,
        'content-type': 'application/x-ndjson',
        ...(key ? { 'idempotency-key': key } : {}),
      },
      payload: body,
    });
    assert.equal(res.statusCode, 202, res.body);
    return res.json() as unknown;
  };
  /** An OTLP/JSON export or a Loki push under an Idempotency-Key, answered as each protocol answers a success. */
  const ship = async (protocol: 'otlp' | 'loki', payload: string, key: string) => {
    const res = await collector.inject({
      method: 'POST',
      url: protocol === 'otlp' ? '/v1/logs' : '/loki/api/v1/push',
      headers: { authorization: `Bearer ${API_KEY}`, 'content-type': 'application/json', 'idempotency-key': key },
      payload,
    });
    assert.equal(res.statusCode, protocol === 'otlp' ? 200 : 204, res.body);
  };
  /** An Elasticsearch bulk request of one document per marker, each named by `_id` when `ids` says so. */
  const bulk = async (markers: readonly string[], ids: (marker: string) => string | undefined) => {
    const res = await collector.inject({
      method: 'POST',
      url: '/_bulk',
      headers: { authorization: `Bearer ${API_KEY}`, 'content-type': 'application/x-ndjson' },
      payload: markers
        .map((marker, i) => {
          const id = ids(marker);
          const action = { create: { _index: 'web', ...(id === undefined ? {} : { _id: id }) } };
          const doc = { message: `handled ${marker}`, service: { name: `svc-${i % 3}` }, marker };
          return `${JSON.stringify(action)}\n${JSON.stringify(doc)}\n`;
        })
        .join(''),
    });
    assert.equal(res.statusCode, 200, res.body);
    const answer = res.json() as { errors: boolean; items: { create: { status: number } }[] };
    assert.equal(answer.errors, false, res.body);
    return answer.items.map((item) => item.create.status);
  };
  const startProcessor = async () => {
    const metrics = createProcessorMetrics(new Registry());
    const processor = createKafkaProcessor(
      createLogStore(transport, DB),
      {
        brokers: [broker.bootstrap],
        clientId: 'idempotency-test-processor',
        groupId: `${topic}-group`,
        topic,
        deadLetterTopic: `${topic}-dlq`,
        limits: { maxRows: 2000, maxBytes: 4 * 1024 * 1024 },
        fetchMinBytes: 1,
        fetchMaxWaitMs: 100,
        partitionsConcurrently: 3,
        backoff: { initialMs: 50, maxMs: 500 },
        keys: createIdempotencyKeyStore(transport, DB, { windowS: 600 }),
      },
      metrics.kafkaObserver,
    );
    await processor.start();
    const counted = async (c: { get(): Promise<{ values: { value: number }[] }> }) =>
      (await c.get()).values.reduce((n, v) => n + v.value, 0);
    return {
      stop: () => processor.stop(),
      skipped: () => counted(metrics.retriesSkipped),
      reused: () => counted(metrics.keyReused),
    };
  };
  // Every partition committed to its end with no batch in progress: all that was produced is decided.
  const caughtUp = async () => {
    const a = admin();
    await a.connect();
    try {
      await waitUntil(
        `the processors to commit to the end of ${topic}`,
        async () => {
          const [high, [committed]] = await Promise.all([
            a.fetchTopicOffsets(topic),
            a.fetchOffsets({ groupId: `${topic}-group`, topics: [topic] }),
          ]);
          return high.every((h) => {
            const c = committed?.partitions.find((p) => p.partition === h.partition);
            const at = c && Number(c.offset) >= 0 ? Number(c.offset) : 0;
            return at === Number(h.high) && !decodeIntent(c?.offset ?? '-1', c?.metadata);
          })
            ? true
            : undefined;
        },
        60_000,
      );
    } finally {
      await a.disconnect();
    }
  };
  return { post, ship, bulk, startProcessor, caughtUp };
}

/** NDJSON of `count` records over four services (so a request is several messages), each with its own marker. */
const body = (prefix: string, count = 40) =>
  Array.from({ length: count }, (_, i) =>
    JSON.stringify({
      service: `svc-${i % 4}`,
      message: `handled ${prefix}-${i}`,
      attributes: { marker: `${prefix}-${i}` },
    }),
  ).join('\n');

/** How many times each marker with the prefix is stored. */
async function copies(prefix: string): Promise<Map<string, number>> {
  const rows = await transport.query<{ marker: string; n: string }>(
    `SELECT attributes['marker'] AS marker, count() AS n FROM ${DB}.logs WHERE startsWith(marker, {p:String}) GROUP BY marker`,
    { p: `${prefix}-` },
  );
  return new Map(rows.map((r) => [r.marker, Number(r.n)]));
}
const everyOnce = (prefix: string, count: number, times: number) =>
  new Map(Array.from({ length: count }, (_, i) => [`${prefix}-${i}`, times]));

test('a retried request with the same key and body is stored once; the same body under another key again', async () => {
  const p = await pipeline();
  const processor = await p.startProcessor();
  try {
    const first = await p.post(body('same'), 'order-0001');
    assert.deepEqual(await p.post(body('same'), 'order-0001'), first, 'the retry gets the same answer');
    await p.post(body('same'), 'order-0002');
    await p.caughtUp();
    assert.deepEqual(await copies('same'), everyOnce('same', 40, 2));
    assert.equal(await processor.skipped(), 40, 'the retry’s records are counted as skipped');
    assert.equal(await processor.reused(), 0);
  } finally {
    await processor.stop();
  }
});

/** `count` records as an OTLP/JSON export or a Loki push, each with its marker attribute. */
function shipped(protocol: 'otlp' | 'loki', prefix: string, count: number): string {
  const markers = Array.from({ length: count }, (_, i) => `${prefix}-${i}`);
  if (protocol === 'loki') {
    const ns = '1795000000000000000';
    return JSON.stringify({
      streams: [{ stream: { service: 'svc-loki' }, values: markers.map((m) => [ns, `handled ${m}`, { marker: m }]) }],
    });
  }
  const logRecords = markers.map((m) => ({
    body: { stringValue: `handled ${m}` },
    attributes: [{ key: 'marker', value: { stringValue: m } }],
  }));
  return JSON.stringify({
    resourceLogs: [
      {
        resource: { attributes: [{ key: 'service.name', value: { stringValue: 'svc-otlp' } }] },
        scopeLogs: [{ logRecords }],
      },
    ],
  });
}

test('OTLP exports and Loki pushes retried with their Idempotency-Key are stored once; the key on another route is another request', async () => {
  const p = await pipeline();
  const processor = await p.startProcessor();
  try {
    for (let copy = 0; copy < 2; copy++) {
      await p.ship('otlp', shipped('otlp', 'export', 20), 'export-0001');
      await p.ship('loki', shipped('loki', 'push', 20), 'push-0001');
    }
    // The same key on the other route digests the route too, so it is a request of its own: stored, and counted.
    await p.ship('loki', shipped('loki', 'push', 20), 'export-0001');
    await p.caughtUp();
    assert.deepEqual(await copies('export'), everyOnce('export', 20, 1));
    assert.deepEqual(await copies('push'), everyOnce('push', 20, 2));
    assert.equal(await processor.skipped(), 40, 'both retries’ records are counted as skipped');
    assert.equal(await processor.reused(), 1);
  } finally {
    await processor.stop();
  }
});

test('a retry that reaches the topic after a processor restart is still stored once', async () => {
  const p = await pipeline();
  const before = await p.startProcessor();
  try {
    await p.post(body('restart'), 'order-0003');
    await p.caughtUp();
    assert.deepEqual(await copies('restart'), everyOnce('restart', 40, 1));
  } finally {
    await before.stop();
  }
  await p.post(body('restart'), 'order-0003');
  await p.post(body('unkeyed', 8));
  await p.post(body('unkeyed', 8));
  const afterRestart = await p.startProcessor();
  try {
    await p.caughtUp();
    assert.deepEqual(await copies('restart'), everyOnce('restart', 40, 1));
    assert.equal(await afterRestart.skipped(), 40);
    assert.deepEqual(await copies('unkeyed'), everyOnce('unkeyed', 8, 2), 'without a key both are kept');
  } finally {
    await afterRestart.stop();
  }
});

test('the same key with another body is stored as the different request it is, and counted', async () => {
  const p = await pipeline();
  const processor = await p.startProcessor();
  try {
    await p.post(body('first'), 'order-0004');
    await p.caughtUp();
    await p.post(body('second', 12), 'order-0004');
    await p.caughtUp();
    assert.deepEqual(await copies('first'), everyOnce('first', 40, 1));
    assert.deepEqual(await copies('second'), everyOnce('second', 12, 1));
    assert.equal(await processor.reused(), 4, 'each of the second request’s four messages (one per service)');
    assert.equal(await processor.skipped(), 0);
  } finally {
    await processor.stop();
  }
});

test('an Elasticsearch document sent again with its _id is stored once, also across a processor restart', async () => {
  const p = await pipeline();
  const markers = (prefix: string, count: number) => Array.from({ length: count }, (_, i) => `${prefix}-${i}`);
  const named = (marker: string) => (marker.startsWith('unnamed') ? undefined : `id-${marker}`);
  const first = await p.startProcessor();
  try {
    // The collector cannot know what the processor stored: every copy is answered as created.
    assert.deepEqual(await p.bulk([...markers('doc', 30), ...markers('unnamed', 6)], named), Array(36).fill(201));
    await p.caughtUp();
    // A retry of half the documents with new ones, while the first copies are stored.
    await p.bulk([...markers('doc', 15), ...markers('unnamed', 6), ...markers('more', 10)], named);
    await p.caughtUp();
    assert.equal(await first.skipped(), 15);
  } finally {
    await first.stop();
  }
  // Sent while no processor runs: the next one finds the first copies in the keys table.
  await p.bulk(markers('doc', 30), named);
  const second = await p.startProcessor();
  try {
    await p.caughtUp();
    assert.deepEqual(await copies('doc'), everyOnce('doc', 30, 1));
    assert.deepEqual(await copies('more'), everyOnce('more', 10, 1));
    assert.deepEqual(
      await copies('unnamed'),
      everyOnce('unnamed', 6, 2),
      'a document without an _id is stored each time',
    );
    assert.equal(await second.skipped(), 30);
    assert.equal(await second.reused(), 0);
  } finally {
    await second.stop();
  }
});

test('a named document whose record ClickHouse refuses is not remembered: a corrected copy is stored', async () => {
  const p = await pipeline();
  const processor = await p.startProcessor();
  try {
    // A line the collector could not have refused reaching the topic under its document's key: a severity number
    // that is not one, which the store refuses for good.
    const at = formatTimestamp(nowNs());
    const refused = queuedLine({
      ...{ id: '01936d5c-0000-7000-8000-000000000002', tenant: 'shop', timestamp: at, observed_timestamp: at },
      ...{ service: 'svc-0', level: 'info', severity_text: 'INFO', severity_number: 'not a number' },
      ...{ body: 'handled dead-0', attributes: { marker: 'dead-0' }, resource: {}, trace_id: '', span_id: '' },
    } as never);
    await queue!.publish({
      tenant: 'shop',
      rows: 1,
      data: Buffer.from(refused),
      documentKeys: [documentClaim('web', 'dead-0').key],
    });
    await p.caughtUp();
    assert.deepEqual(await copies('dead'), new Map(), 'the refused line went to the dead letters');
    assert.deepEqual(await p.bulk(['dead-0'], (marker) => marker), [201]);
    await p.caughtUp();
    assert.deepEqual(await copies('dead'), new Map([['dead-0', 1]]), 'the corrected copy is stored');
    assert.equal(await processor.skipped(), 0);
  } finally {
    await processor.stop();
  }
});
