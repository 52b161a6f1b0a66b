import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { promisify } from 'node:util';
import { Kafka, logLevel, Partitioners } from 'kafkajs';
import { createHttpTransport, createLogStore, type ClickHouseTransport } from '@instant-logs/store';
import {
  startClickHouseServer,
  startKafkaBroker,
  type ClickHouseServer,
  type KafkaBroker,
} from '@instant-logs/testbed';
import { SERVICE_MAINS, startService, waitFor, type ServiceProcess } from '../kafka/test-processes.ts';

// The replay CLI for real: a processor (its own process) dead-letters records that a table
// constraint refuses; the operator relaxes the constraint and replays them with the CLI.
const DB = 'replay_cli';
const TOPIC = 'replay-logs';
const DLQ = 'replay-logs-dlq';
let broker: KafkaBroker;
let clickhouse: ClickHouseServer;
let transport: ClickHouseTransport;
let processor: ServiceProcess;
let kafka: Kafka;

before(async () => {
  [broker, clickhouse] = await Promise.all([startKafkaBroker(), startClickHouseServer()]);
  transport = createHttpTransport({ url: clickhouse.url });
  await createLogStore(transport, DB).migrate();
  // An operator's rule that turned out too strict: long messages are refused, for good.
  await transport.command(`ALTER TABLE ${DB}.logs ADD CONSTRAINT body_limit CHECK length(body) <= 40`);
  await broker.createTopic(TOPIC, { partitions: 2 });
  await broker.createTopic(DLQ, { partitions: 2 });
  kafka = new Kafka({ brokers: [broker.bootstrap], logLevel: logLevel.NOTHING });
  processor = await startService(
    'processor',
    SERVICE_MAINS.processor,
    {
      HOST: '127.0.0.1',
      PORT: '0',
      KAFKA_BROKERS: broker.bootstrap,
      KAFKA_TOPIC: TOPIC,
      KAFKA_DEAD_LETTER_TOPIC: DLQ,
      KAFKA_GROUP_ID: 'replay-processors',
      CLICKHOUSE_URL: clickhouse.url,
      CLICKHOUSE_DATABASE: DB,
    },
    { readyLine: /Joined the consumer group/ },
  );
});
after(async () => {
  await processor?.stop(5_000);
  await transport.close();
  await Promise.all([broker.stop(), clickhouse.stop()]);
});

const record = (id: string, tenant: string, body: string) => {
  const now = new Date().toISOString();
  return JSON.stringify({
    id,
    tenant,
    timestamp: now,
    observed_timestamp: now,
    service: 'checkout',
    level: 'error',
    severity_text: 'ERROR',
    severity_number: 17,
    body,
    attributes: {},
    resource: {},
    trace_id: '',
    span_id: '',
  });
};
const long = (id: string) => `${id}: payment provider timed out after 30 s, retrying with backoff`;

async function replay(...args: string[]): Promise<{ replayed: number; skipped: number; left: number; stdout: string }> {
  const { stdout } = await promisify(execFile)(
    process.execPath,
    [SERVICE_MAINS.replay, '--brokers', broker.bootstrap, '--from', DLQ, '--to', TOPIC, ...args],
    { timeout: 120_000 },
  );
  const m = /replayed (\d+) records, skipped (\d+), left (\d+)/i.exec(stdout);
  assert.ok(m, stdout);
  return { replayed: Number(m[1]), skipped: Number(m[2]), left: Number(m[3]), stdout };
}

const stored = async () =>
  (await transport.query<{ id: string }>(`SELECT id FROM ${DB}.logs ORDER BY id`)).map((r) => r.id);
const highWatermark = async (topic: string) => {
  const admin = kafka.admin();
  await admin.connect();
  try {
    return (await admin.fetchTopicOffsets(topic)).reduce((n, p) => n + Number(p.high), 0);
  } finally {
    await admin.disconnect();
  }
};

test('records dead-lettered by a constraint are replayed once the constraint is relaxed, filtered by tenant and error', async () => {
  const producer = kafka.producer({ createPartitioner: Partitioners.DefaultPartitioner });
  await producer.connect();
  const message = (tenant: string, lines: string[]) => ({
    key: `${tenant}/checkout`,
    value: lines.join('\n'),
    headers: { tenant, rows: String(lines.length) },
  });
  await producer.send({
    topic: TOPIC,
    acks: -1,
    messages: [
      message('acme', [
        record('a-ok-1', 'acme', 'ok'),
        record('a-long-1', 'acme', long('a-long-1')),
        record('a-long-2', 'acme', long('a-long-2')),
      ]),
      message('acme', ['this line is not a record at all', record('a-ok-2', 'acme', 'ok')]),
      message('zeta', [record('z-long-1', 'zeta', long('z-long-1')), record('z-ok-1', 'zeta', 'ok')]),
      message('zeta', [record('z-long-2', 'zeta', long('z-long-2'))]),
    ],
  });
  await producer.disconnect();
  await waitFor('five dead letters', async () => ((await highWatermark(DLQ)) === 5 ? true : undefined));
  await waitFor('the good records', async () => ((await stored()).length === 3 ? true : undefined));
  assert.deepEqual(await stored(), ['a-ok-1', 'a-ok-2', 'z-ok-1']);

  const constraint = '--match-error=body_limit';
  const dry = await replay(constraint, '--group', 'acme-fix', '--tenant', 'acme', '--dry-run');
  assert.deepEqual([dry.replayed, dry.skipped, dry.left], [2, 3, 0], dry.stdout);
  assert.equal(await highWatermark(TOPIC), 4, 'a dry run publishes nothing');

  await transport.command(`ALTER TABLE ${DB}.logs DROP CONSTRAINT body_limit`);
  const acme = await replay(constraint, '--group', 'acme-fix', '--tenant', 'acme');
  assert.deepEqual(
    [acme.replayed, acme.skipped, acme.left],
    [2, 3, 0],
    'the dry run committed nothing: the same records are replayed',
  );
  const again = await replay(constraint, '--group', 'acme-fix', '--tenant', 'acme');
  assert.deepEqual(
    [again.replayed, again.skipped, again.left],
    [0, 0, 0],
    'a second run of the same job finds nothing new',
  );
  await waitFor('the replayed acme records', async () => ((await stored()).length === 5 ? true : undefined));

  const zeta = await replay(constraint, '--group', 'zeta-fix', '--tenant', 'zeta');
  assert.deepEqual([zeta.replayed, zeta.skipped, zeta.left], [2, 3, 0]);
  await waitFor('the replayed zeta records', async () => ((await stored()).length === 7 ? true : undefined));
  await waitFor('the processor to commit the replayed records', async () => {
    const admin = kafka.admin();
    await admin.connect();
    const [o] = await admin
      .fetchOffsets({ groupId: 'replay-processors', topics: [TOPIC] })
      .finally(() => admin.disconnect());
    const committed = o!.partitions.reduce((n, p) => n + Math.max(0, Number(p.offset)), 0);
    return committed === (await highWatermark(TOPIC)) ? true : undefined;
  });
  assert.deepEqual(
    await stored(),
    ['a-long-1', 'a-long-2', 'a-ok-1', 'a-ok-2', 'z-long-1', 'z-long-2', 'z-ok-1'],
    'each replayed record is stored once',
  );
  assert.equal(await highWatermark(TOPIC), 8, 'four records were republished');
  assert.equal(
    await highWatermark(DLQ),
    5,
    'the line that is not a record was never replayed, so it failed no second time',
  );
});
