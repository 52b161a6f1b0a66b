import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { Kafka, logLevel } from 'kafkajs';
import { createHttpTransport, createLogStore, type ClickHouseTransport } from '@instant-logs/store';
import {
  startClickHouseServer,
  startKafkaBroker,
  type ClickHouseServer,
  type KafkaBroker,
} from '@instant-logs/testbed';
import { SetupConfig } from './config.ts';
import { runSetup } from './setup.ts';

let clickhouse: ClickHouseServer;
let broker: KafkaBroker;
let transport: ClickHouseTransport;
before(async () => {
  [clickhouse, broker] = await Promise.all([startClickHouseServer(), startKafkaBroker()]);
  transport = createHttpTransport({ url: clickhouse.url });
});
after(async () => {
  await transport.close();
  await Promise.all([clickhouse.stop(), broker.stop()]);
});

test('setup migrates ClickHouse, sets the retention and creates the topics, and a second run changes nothing', async () => {
  const config = SetupConfig.parse({
    CLICKHOUSE_URL: clickhouse.url,
    CLICKHOUSE_DATABASE: 'setup_test',
    RETENTION_DAYS: '14',
    KAFKA_BROKERS: broker.bootstrap,
    KAFKA_TOPIC: 'setup-logs',
    KAFKA_DEAD_LETTER_TOPIC: 'setup-dlq',
    KAFKA_TOPIC_PARTITIONS: '4',
    KAFKA_TOPIC_REPLICATION_FACTOR: '1',
    KAFKA_DEAD_LETTER_PARTITIONS: '2',
  });
  const store = createLogStore(transport, 'setup_test');
  assert.deepEqual(await runSetup(store, config), {
    migrations: [1, 2, 3, 4, 5, 6, 7],
    topics: ['setup-logs', 'setup-dlq'],
  });
  assert.deepEqual(await runSetup(store, config), { migrations: [], topics: [] });
  const [column] = await transport.query<{ default_expression: string }>(
    `SELECT default_expression FROM system.columns WHERE database = 'setup_test' AND table = 'logs' AND name = 'retention_days'`,
  );
  assert.equal(column?.default_expression, '14');
  const admin = new Kafka({ brokers: [broker.bootstrap], logLevel: logLevel.NOTHING }).admin();
  await admin.connect();
  const meta = await admin.fetchTopicMetadata({ topics: ['setup-logs', 'setup-dlq'] });
  await admin.disconnect();
  assert.deepEqual(meta.topics.map((t) => [t.name, t.partitions.length]).sort(), [
    ['setup-dlq', 2],
    ['setup-logs', 4],
  ]);
});
