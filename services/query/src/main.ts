import { createHash } from 'node:crypto';
import {
  createTailTickets,
  httpTimeoutsFromEnv,
  listenerSecurity,
  parseEnv,
  startProbesFromEnv,
  stopOnSignals,
  trackConnections,
} from '@instant-logs/service-kit';
import { createAlertStore, createHttpTransport, createLogStore, createSavedObjectStore } from '@instant-logs/store';
import { collectDefaultMetrics, Registry } from 'prom-client';
import { buildApp } from './app.ts';
import { QueryConfig } from './config.ts';
import { tailLimitsFromEnv } from './tail-limits.ts';
import { alertingFromEnv } from './alerts/config.ts';
import { startTracing } from '@instant-logs/telemetry';

const tracing = startTracing('instant-logs-query', process.env);
const config = parseEnv(QueryConfig, process.env);
const security = await listenerSecurity(config);

const transport = createHttpTransport({
  url: config.CLICKHOUSE_URL,
  username: config.CLICKHOUSE_USER,
  password: config.CLICKHOUSE_PASSWORD,
});
const store = createLogStore(transport, config.CLICKHOUSE_DATABASE);
const registry = new Registry();
collectDefaultMetrics({ register: registry });
// Replicas behind one Service must accept each other's tickets. Whoever holds the ClickHouse password reads
// every log anyway, so a secret derived from it grants nothing more; without either, one replica's own secret.
const ticketSeed =
  config.TAIL_TICKET_SECRET ?? (config.CLICKHOUSE_PASSWORD ? `tail-ticket:${config.CLICKHOUSE_PASSWORD}` : undefined);
const tickets = createTailTickets(ticketSeed ? { secret: createHash('sha256').update(ticketSeed).digest() } : {});
const app = buildApp({
  store,
  keyring: security.keyring,
  registry,
  tailPollMs: config.TAIL_POLL_MS,
  timeouts: httpTimeoutsFromEnv(config),
  tailLimits: tailLimitsFromEnv(config),
  logger: { level: config.LOG_LEVEL },
  corsOrigins: security.corsOrigins,
  allowedHosts: security.allowedHosts,
  tickets,
  saved: {
    saved: createSavedObjectStore(transport, config.CLICKHOUSE_DATABASE),
    alerts: createAlertStore(transport, config.CLICKHOUSE_DATABASE),
  },
  alerting: alertingFromEnv(config, config.PORT),
  ...(security.https ? { https: security.https } : {}),
});
if (!security.keyring.enabled)
  app.log.warn('AUTHENTICATION IS OFF: no API_KEYS or API_KEYS_FILE set; listening on loopback only.');
const connections = trackConnections(app.server);
await app.listen({ host: config.HOST, port: config.PORT });
security.watch(app.server, app.log);
const probes = await startProbesFromEnv(config, app);

stopOnSignals(
  app.log,
  'Shutting down: finishing open requests',
  async () => {
    await app.close();
    await transport.close();
    security.close();
    await probes?.close();
    await tracing.shutdown();
  },
  { connections: [connections], drainMs: config.SHUTDOWN_DRAIN_MS },
);
