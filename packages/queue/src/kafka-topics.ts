import { logLevel } from 'kafkajs';
import { createKafkaClient } from './kafka-client.ts';

/** The topics a pipeline needs and how they are kept. */
export interface TopicPlan {
  topic: string;
  deadLetterTopic: string;
  partitions: number;
  replicationFactor: number;
  retentionMs: number;
  /** Producers compress already; the broker keeps what they send. */
  compressionType: 'producer' | 'gzip' | 'zstd';
  deadLetterPartitions: number;
  deadLetterRetentionMs: number;
}

/**
 * Creates the logs and dead-letter topics that do not exist yet; existing ones are left as they are.
 * For local use and tests; in Kubernetes the operator declares them as Strimzi KafkaTopics instead.
 */
export async function ensureTopics(brokers: string[], plan: TopicPlan): Promise<{ created: string[] }> {
  const admin = createKafkaClient({ clientId: 'instant-logs-topics', brokers, logLevel: logLevel.NOTHING }).admin();
  await admin.connect();
  try {
    const existing = new Set(await admin.listTopics());
    const configEntries = [
      { name: 'retention.ms', value: String(plan.retentionMs) },
      { name: 'compression.type', value: plan.compressionType },
    ];
    const wanted = [
      { topic: plan.topic, numPartitions: plan.partitions, replicationFactor: plan.replicationFactor, configEntries },
      {
        topic: plan.deadLetterTopic,
        numPartitions: plan.deadLetterPartitions,
        replicationFactor: plan.replicationFactor,
        configEntries: [{ name: 'retention.ms', value: String(plan.deadLetterRetentionMs) }],
      },
    ].filter((t) => !existing.has(t.topic));
    if (wanted.length > 0) await admin.createTopics({ waitForLeaders: true, topics: wanted });
    return { created: wanted.map((t) => t.topic) };
  } finally {
    await admin.disconnect();
  }
}
