import { collectDefaultMetrics, Registry } from 'prom-client';
import { createKafkaQueue } from '@instant-logs/queue';
import { assertSafeToListen, parseApiKeys, parseEnv, stopOnSignals } from '@instant-logs/service-kit';
import { buildApp } from './app.ts';
import { CollectorConfig } from './config.ts';
import { startTracing } from '@instant-logs/telemetry';

const tracing = startTracing('instant-logs-collector', process.env);
const config = parseEnv(CollectorConfig, process.env);
const keyring = parseApiKeys(config.API_KEYS);
assertSafeToListen(keyring, config.HOST, config.ALLOW_UNAUTHENTICATED);

const queue = createKafkaQueue({
  brokers: config.KAFKA_BROKERS,
  topic: config.KAFKA_TOPIC,
  clientId: config.KAFKA_CLIENT_ID,
  compression: config.KAFKA_COMPRESSION,
  maxInFlightBytes: config.KAFKA_MAX_IN_FLIGHT_BYTES,
  sendTimeoutMs: config.KAFKA_SEND_TIMEOUT_MS,
});
const registry = new Registry();
collectDefaultMetrics({ register: registry });
const app = buildApp({ queue, keyring, registry, logger: { level: config.LOG_LEVEL } });
if (!keyring.enabled) app.log.warn('AUTHENTICATION IS OFF: no API_KEYS set; listening on loopback only.');
await queue.connect();
await app.listen({ host: config.HOST, port: config.PORT });

stopOnSignals(app.log, 'Shutting down: answering requests in flight', async () => {
  // Closing the server first lets every request in flight finish its acknowledgement.
  await app.close();
  await queue.close();
  await tracing.shutdown();
});
