import type { LogPipeline } from '@instant-logs/schema';

/** The names of everything a pipeline owns, all derived from its name. Pure. */
export function namesOf(p: LogPipeline) {
  const n = p.metadata.name;
  const { topic, deadLetterTopic } = p.spec.kafka;
  return {
    pipeline: n,
    config: `${n}-pipeline`,
    tenants: `${n}-tenants`,
    // KafkaTopic objects keep these names even when the user picks the Kafka topic name
    // (spec.topicName), which may hold characters a Kubernetes name may not.
    logsTopicObject: `${n}-logs`,
    deadLetterTopicObject: `${n}-dead-letter`,
    topic: topic.name ?? `${n}-logs`,
    deadLetterTopic: deadLetterTopic.name ?? `${n}-dead-letter`,
    collector: `${n}-collector`,
    processor: `${n}-processor`,
    consumerGroup: `${n}-processor`,
    clickhouse: `${n}-clickhouse`,
    clickhouseHeadless: `${n}-clickhouse-headless`,
    clickhouseCredentials: `${n}-clickhouse-credentials`,
    keeper: `${n}-keeper`,
    keeperHeadless: `${n}-keeper-headless`,
    query: `${n}-query`,
    dashboard: `${n}-dashboard`,
    setupPrefix: `${n}-setup`,
    monitor: n,
  };
}

export type Names = ReturnType<typeof namesOf>;
