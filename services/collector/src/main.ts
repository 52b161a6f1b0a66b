import { collectDefaultMetrics, Registry } from 'prom-client';
import { createKafkaQueue } from '@instant-logs/queue';
import { assertSafeToListen, parseApiKeys, parseEnv } from '@instant-logs/service-kit';
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

let stopping = false;
for (const signal of ['SIGINT', 'SIGTERM'] as const) {
  process.on(signal, () => {
    if (stopping) return;
    stopping = true;
    app.log.info({ signal }, 'Shutting down: answering requests in flight');
    // Closing the server first lets every request in flight finish its acknowledgement.
    void app
      .close()
      .then(() => queue.close())
      .then(() => tracing.shutdown())
      .then(() => process.exit(0));
  });
}
