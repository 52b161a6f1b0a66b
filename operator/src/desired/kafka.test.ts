import { test } from 'node:test';
import assert from 'node:assert/strict';
import { desired } from './index.ts';
import { context, envVar, find, has, mainContainer, pipeline, specOf } from './test-pipeline.ts';

const configOf = (objects: ReturnType<typeof desired>) =>
  find(objects, 'ConfigMap', 'demo-pipeline')['data'] as Record<string, string>;

test('a Strimzi cluster gets a logs and a dead-letter KafkaTopic with derived topic names and the spec settings', () => {
  const objects = desired(
    pipeline({
      kafka: {
        cluster: 'main',
        topic: { partitions: 12, replicas: 2, retentionHours: 48, compression: 'zstd' },
        deadLetterTopic: { partitions: 2, retentionHours: 240 },
      },
    }),
    context(),
  );
  const logs = find(objects, 'KafkaTopic', 'demo-logs');
  assert.equal(logs.apiVersion, 'kafka.strimzi.io/v1');
  assert.equal(logs.metadata.labels?.['strimzi.io/cluster'], 'main');
  assert.deepEqual(logs['spec'], {
    topicName: 'demo-logs',
    partitions: 12,
    replicas: 2,
    config: { 'retention.ms': 48 * 3_600_000, 'compression.type': 'zstd' },
  });
  const deadLetter = find(objects, 'KafkaTopic', 'demo-dead-letter');
  assert.equal(deadLetter.metadata.labels?.['strimzi.io/cluster'], 'main');
  assert.deepEqual(deadLetter['spec'], {
    topicName: 'demo-dead-letter',
    partitions: 2,
    replicas: 2,
    config: { 'retention.ms': 240 * 3_600_000 },
  });
});

test('a cluster whose Strimzi serves only v1beta2 gets v1beta2 KafkaTopics with the same spec', () => {
  const objects = desired(pipeline({ kafka: { cluster: 'main' } }), context({ kafkaTopicVersion: 'v1beta2' }));
  for (const name of ['demo-logs', 'demo-dead-letter'])
    assert.equal(find(objects, 'KafkaTopic', name).apiVersion, 'kafka.strimzi.io/v1beta2');
  assert.deepEqual(
    find(objects, 'KafkaTopic', 'demo-logs')['spec'],
    find(desired(pipeline({ kafka: { cluster: 'main' } }), context()), 'KafkaTopic', 'demo-logs')['spec'],
  );
});

test('explicit topic names go into topicName and the services’ settings; the KafkaTopic object names stay derived', () => {
  const objects = desired(
    pipeline({ kafka: { cluster: 'main', topic: { name: 'Team_Logs' }, deadLetterTopic: { name: 'team.dlq' } } }),
    context(),
  );
  assert.equal(specOf(find(objects, 'KafkaTopic', 'demo-logs'))['topicName'], 'Team_Logs');
  assert.equal(specOf(find(objects, 'KafkaTopic', 'demo-dead-letter'))['topicName'], 'team.dlq');
  assert.equal(configOf(objects)['KAFKA_TOPIC'], 'Team_Logs');
  assert.equal(configOf(objects)['KAFKA_DEAD_LETTER_TOPIC'], 'team.dlq');
});

test('a Strimzi cluster is reached at <cluster>-kafka-bootstrap:9092', () => {
  assert.equal(
    configOf(desired(pipeline({ kafka: { cluster: 'main' } }), context()))['KAFKA_BROKERS'],
    'main-kafka-bootstrap:9092',
  );
});

test('bootstrap servers: no KafkaTopics; the setup Job gets the topic settings to create them', () => {
  const objects = desired(
    pipeline({
      kafka: {
        bootstrapServers: 'k1:9092,k2:9092',
        topic: { partitions: 8, replicas: 2, retentionHours: 12, compression: 'gzip' },
        deadLetterTopic: { partitions: 3 },
      },
    }),
    context(),
  );
  assert.equal(has(objects, 'KafkaTopic'), false);
  assert.equal(configOf(objects)['KAFKA_BROKERS'], 'k1:9092,k2:9092');
  const setup = mainContainer(objects.find((o) => o.kind === 'Job')!);
  const env = Object.fromEntries(setup.env!.filter((e) => e.name.startsWith('KAFKA_')).map((e) => [e.name, e.value]));
  assert.deepEqual(env, {
    KAFKA_BROKERS: 'k1:9092,k2:9092',
    KAFKA_TOPIC: 'demo-logs',
    KAFKA_TOPIC_PARTITIONS: '8',
    KAFKA_TOPIC_REPLICATION_FACTOR: '2',
    KAFKA_TOPIC_RETENTION_MS: String(12 * 3_600_000),
    KAFKA_TOPIC_COMPRESSION: 'gzip',
    KAFKA_DEAD_LETTER_TOPIC: 'demo-dead-letter',
    KAFKA_DEAD_LETTER_PARTITIONS: '3',
    KAFKA_DEAD_LETTER_RETENTION_MS: String(168 * 3_600_000),
  });
});

test('with a Strimzi cluster the setup Job has no Kafka settings: Strimzi makes the topics', () => {
  const setup = mainContainer(desired(pipeline(), context()).find((o) => o.kind === 'Job')!);
  assert.equal(envVar(setup, 'KAFKA_BROKERS'), undefined);
});
