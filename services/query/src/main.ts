import { assertSafeToListen, parseApiKeys, parseEnv, stopOnSignals } from '@instant-logs/service-kit';
import { createHttpTransport, createLogStore } from '@instant-logs/store';
import { collectDefaultMetrics, Registry } from 'prom-client';
import { buildApp } from './app.ts';
import { QueryConfig } from './config.ts';
import { startTracing } from '@instant-logs/telemetry';

const tracing = startTracing('instant-logs-query', process.env);
const config = parseEnv(QueryConfig, process.env);
const keyring = parseApiKeys(config.API_KEYS);
assertSafeToListen(keyring, config.HOST, config.ALLOW_UNAUTHENTICATED);

const transport = createHttpTransport({ url: config.CLICKHOUSE_URL, username: config.CLICKHOUSE_USER, password: config.CLICKHOUSE_PASSWORD });
const store = createLogStore(transport, config.CLICKHOUSE_DATABASE);
const registry = new Registry();
collectDefaultMetrics({ register: registry });
const app = buildApp({ store, keyring, registry, tailPollMs: config.TAIL_POLL_MS, logger: { level: config.LOG_LEVEL } });
if (!keyring.enabled) app.log.warn('AUTHENTICATION IS OFF: no API_KEYS set; listening on loopback only.');
await app.listen({ host: config.HOST, port: config.PORT });

stopOnSignals(app.log, 'Shutting down: finishing open requests', async () => {
  await app.close();
  await transport.close();
  await tracing.shutdown();
});
