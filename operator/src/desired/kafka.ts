import type { LogPipeline } from '@instant-logs/schema';
import type { V1EnvVar } from '@kubernetes/client-node';
import type { KubeObject } from '../kube/client.ts';
import type { DesiredContext } from './context.ts';
import { namesOf } from './names.ts';
import { objectMeta } from './owner.ts';

const HOUR_MS = 3_600_000;

/** Pure: the bootstrap servers every Kafka client of the pipeline uses. */
export function kafkaBootstrap(p: LogPipeline): string {
  const { cluster, bootstrapServers } = p.spec.kafka;
  // Strimzi names the plain listener's bootstrap Service <cluster>-kafka-bootstrap.
  return cluster ? `${cluster}-kafka-bootstrap:9092` : bootstrapServers!;
}

/**
 * Pure: Strimzi KafkaTopics for the logs and dead-letter topics when the pipeline uses a Strimzi
 * cluster; none for a Kafka given by bootstrapServers (the setup Job creates the topics there).
 */
export function kafkaTopics(p: LogPipeline, ctx: DesiredContext): KubeObject[] {
  const { cluster, topic, deadLetterTopic } = p.spec.kafka;
  if (!cluster) return [];
  const names = namesOf(p);
  const kafkaTopic = (objectName: string, spec: Record<string, unknown>): KubeObject => ({
    apiVersion: `kafka.strimzi.io/${ctx.capabilities.kafkaTopicVersion ?? 'v1'}`,
    kind: 'KafkaTopic',
    metadata: objectMeta(p, objectName, 'kafka', { 'strimzi.io/cluster': cluster }),
    spec,
  });
  return [
    kafkaTopic(names.logsTopicObject, {
      topicName: names.topic,
      partitions: topic.partitions,
      replicas: topic.replicas,
      config: { 'retention.ms': topic.retentionHours * HOUR_MS, 'compression.type': topic.compression },
    }),
    // The dead-letter topic takes the broker's compression default: it holds few records.
    kafkaTopic(names.deadLetterTopicObject, {
      topicName: names.deadLetterTopic,
      partitions: deadLetterTopic.partitions,
      replicas: topic.replicas,
      config: { 'retention.ms': deadLetterTopic.retentionHours * HOUR_MS },
    }),
  ];
}

/** Pure: the topic settings the setup Job needs to create the topics itself (bootstrapServers only). */
export function topicSettingsEnv(p: LogPipeline): V1EnvVar[] {
  if (p.spec.kafka.cluster) return [];
  const { topic, deadLetterTopic } = p.spec.kafka;
  const names = namesOf(p);
  const env: Record<string, string | number> = {
    KAFKA_BROKERS: kafkaBootstrap(p),
    KAFKA_TOPIC: names.topic,
    KAFKA_TOPIC_PARTITIONS: topic.partitions,
    KAFKA_TOPIC_REPLICATION_FACTOR: topic.replicas,
    KAFKA_TOPIC_RETENTION_MS: topic.retentionHours * HOUR_MS,
    KAFKA_TOPIC_COMPRESSION: topic.compression,
    KAFKA_DEAD_LETTER_TOPIC: names.deadLetterTopic,
    KAFKA_DEAD_LETTER_PARTITIONS: deadLetterTopic.partitions,
    KAFKA_DEAD_LETTER_RETENTION_MS: deadLetterTopic.retentionHours * HOUR_MS,
  };
  return Object.entries(env).map(([name, value]) => ({ name, value: String(value) }));
}
