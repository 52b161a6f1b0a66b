import { ensureTopics } from '@instant-logs/queue';
import type { LogStore } from '@instant-logs/store';
import type { SetupConfig } from './config.ts';

/** What one setup run did, for its log line. */
export interface SetupResult {
  migrations: number[];
  topics: string[];
}

/**
 * Brings the pipeline's storage to what the release needs: the ClickHouse schema (idempotent,
 * versioned), the default retention, and — for a Kafka the operator does not manage — the topics.
 * Safe to run any number of times.
 */
export async function runSetup(store: LogStore, config: SetupConfig): Promise<SetupResult> {
  const { applied } = await store.migrate();
  await store.setDefaultRetention(config.RETENTION_DAYS);
  if (!config.KAFKA_BROKERS) return { migrations: applied, topics: [] };
  const { created } = await ensureTopics(
    config.KAFKA_BROKERS.split(',').map((b) => b.trim()),
    {
      topic: config.KAFKA_TOPIC,
      deadLetterTopic: config.KAFKA_DEAD_LETTER_TOPIC,
      partitions: config.KAFKA_TOPIC_PARTITIONS,
      replicationFactor: config.KAFKA_TOPIC_REPLICATION_FACTOR,
      retentionMs: config.KAFKA_TOPIC_RETENTION_MS,
      compressionType: config.KAFKA_TOPIC_COMPRESSION,
      deadLetterPartitions: config.KAFKA_DEAD_LETTER_PARTITIONS,
      deadLetterRetentionMs: config.KAFKA_DEAD_LETTER_RETENTION_MS,
    },
  );
  return { migrations: applied, topics: created };
}
