import { collectDefaultMetrics, Registry } from 'prom-client';
import { parseEnv, stopOnSignals } from '@instant-logs/service-kit';
import { connectClickHouse, createIdempotencyKeyStore } from '@instant-logs/store';
import { buildApp } from './app.ts';
import { ProcessorConfig } from './config.ts';
import { createKafkaProcessor } from './kafka/consumer.ts';
import { createProcessorMetrics } from './metrics.ts';
import { startTracing } from '@instant-logs/telemetry';

const tracing = startTracing('instant-logs-processor', process.env);
const config = parseEnv(ProcessorConfig, process.env);
const registry = new Registry();
collectDefaultMetrics({ register: registry });
const metrics = createProcessorMetrics(registry);
const clickhouse = connectClickHouse(config);
const { store } = clickhouse;
const processor = createKafkaProcessor(
  store,
  {
    brokers: config.KAFKA_BROKERS,
    clientId: config.KAFKA_CLIENT_ID,
    groupId: config.KAFKA_GROUP_ID,
    topic: config.KAFKA_TOPIC,
    deadLetterTopic: config.KAFKA_DEAD_LETTER_TOPIC,
    limits: { maxRows: config.BATCH_MAX_ROWS, maxBytes: config.BATCH_MAX_BYTES },
    fetchMinBytes: Math.min(config.BATCH_MAX_BYTES, 1024 * 1024),
    fetchMaxWaitMs: config.BATCH_MAX_WAIT_MS,
    partitionsConcurrently: config.PARTITIONS_CONCURRENTLY,
    backoff: { initialMs: config.RETRY_INITIAL_MS, maxMs: config.RETRY_MAX_MS },
    onCrash: (err) => app.log.error({ err }, 'Kafka consumer crashed; restarting it'),
    onWaiting: (why) => app.log.warn(`Waiting for Kafka: ${why}`),
    keys: createIdempotencyKeyStore(clickhouse.transport, config.CLICKHOUSE_DATABASE, {
      windowS: config.IDEMPOTENCY_WINDOW_S,
    }),
  },
  {
    ...metrics.kafkaObserver,
    keyReused(messages) {
      metrics.kafkaObserver.keyReused(messages);
      for (const m of messages)
        app.log.warn(
          { tenant: m.tenant, idempotencyKey: m.idempotency?.key, offset: String(m.offset) },
          'Stored records under an Idempotency-Key that came before with another body',
        );
    },
  },
);
const app = buildApp({ registry, ready: () => store.ping().then(() => true), logger: { level: config.LOG_LEVEL } });
await app.listen({ host: config.HOST, port: config.PORT });
await processor.start();
app.log.info({ topic: config.KAFKA_TOPIC, group: config.KAFKA_GROUP_ID }, 'Joined the consumer group');

// No drain bound: finishing the batches in progress (and committing their offsets) takes what it takes.
stopOnSignals(app.log, 'Shutting down: finishing the batches in progress', async () => {
  await processor.stop();
  await app.close();
  await clickhouse.close();
  await tracing.shutdown();
});
