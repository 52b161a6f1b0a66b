import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { Kafka, logLevel } from 'kafkajs';
import { startKafkaBroker, type KafkaBroker } from '@instant-logs/testbed';
import { ensureTopics } from './kafka-topics.ts';

let broker: KafkaBroker;
before(async () => {
  broker = await startKafkaBroker();
});
after(() => broker.stop());

test('topics are created once with their partitions and retention, and a second run changes nothing', async () => {
  const plan = {
    topic: 'logs-a',
    deadLetterTopic: 'logs-a-dlq',
    partitions: 6,
    replicationFactor: 1,
    retentionMs: 3_600_000,
    compressionType: 'producer' as const,
    deadLetterPartitions: 1,
    deadLetterRetentionMs: 7_200_000,
  };
  assert.deepEqual(await ensureTopics([broker.bootstrap], plan), { created: ['logs-a', 'logs-a-dlq'] });
  assert.deepEqual(await ensureTopics([broker.bootstrap], plan), { created: [] });
  const admin = new Kafka({ brokers: [broker.bootstrap], logLevel: logLevel.NOTHING }).admin();
  await admin.connect();
  try {
    const meta = await admin.fetchTopicMetadata({ topics: ['logs-a', 'logs-a-dlq'] });
    assert.deepEqual(meta.topics.map((t) => [t.name, t.partitions.length]).sort(), [
      ['logs-a', 6],
      ['logs-a-dlq', 1],
    ]);
    const configs = await admin.describeConfigs({
      includeSynonyms: false,
      resources: [{ type: 2, name: 'logs-a', configNames: ['retention.ms'] }],
    });
    assert.equal(configs.resources[0]?.configEntries[0]?.configValue, '3600000');
  } finally {
    await admin.disconnect();
  }
});
