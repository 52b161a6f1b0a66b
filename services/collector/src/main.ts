import { readFileSync } from 'node:fs';
import { collectDefaultMetrics, Registry } from 'prom-client';
import { createKafkaQueue } from '@instant-logs/queue';
import { parseTenantPolicies } from '@instant-logs/schema';
import {
  httpTimeoutsFromEnv,
  listenerSecurity,
  parseEnv,
  startProbesFromEnv,
  stopOnSignals,
  trackConnections,
} from '@instant-logs/service-kit';
import { startTracing } from '@instant-logs/telemetry';
import { buildApp } from './app.ts';
import { CollectorConfig } from './config.ts';
import { createCollectorMetrics } from './metrics.ts';
import { acceptDeps } from './plugin.ts';
import { startSyslogFromEnv } from './syslog/config.ts';
import { createTenantLimits } from './tenant-limits.ts';
import { admissionLimitsFromEnv } from './admission.ts';
import { defaultIngestThreads, startIngestThreads } from './ingest-threads.ts';
import { forwardIdempotencyKeys } from './idempotency.ts';

const tracing = startTracing('instant-logs-collector', process.env);
const config = parseEnv(CollectorConfig, process.env);
const security = await listenerSecurity(config);
// A bad tenants file stops the start, naming the field: running without the limits it sets would be worse.
const tenants = config.TENANTS_FILE
  ? createTenantLimits(parseTenantPolicies(readFileSync(config.TENANTS_FILE, 'utf8')))
  : undefined;

const queue = createKafkaQueue({
  brokers: config.KAFKA_BROKERS,
  topic: config.KAFKA_TOPIC,
  clientId: config.KAFKA_CLIENT_ID,
  compression: config.KAFKA_COMPRESSION,
  maxInFlightBytes: config.KAFKA_MAX_IN_FLIGHT_BYTES,
  sendTimeoutMs: config.KAFKA_SEND_TIMEOUT_MS,
});
const ingestThreads = startIngestThreads(config.INGEST_THREADS ?? defaultIngestThreads());
const registry = new Registry();
collectDefaultMetrics({ register: registry });
const metrics = createCollectorMetrics(registry);
const app = buildApp({
  queue,
  keyring: security.keyring,
  registry,
  metrics,
  logger: { level: config.LOG_LEVEL },
  ...(tenants ? { tenants } : {}),
  ...(security.https ? { https: security.https } : {}),
  clientCertificates: security.clientCertificates,
  corsOrigins: security.corsOrigins,
  allowedHosts: security.allowedHosts,
  admission: {
    ...admissionLimitsFromEnv(config),
    // The same test publish makes, taken before the body is read; the decoded lines it then sends are about the same size.
    backlog: (bytes) => {
      const waiting = queue.inFlightBytes();
      return waiting > 0 && waiting + bytes > config.KAFKA_MAX_IN_FLIGHT_BYTES
        ? `${waiting} bytes are waiting for the broker, at the limit of ${config.KAFKA_MAX_IN_FLIGHT_BYTES} (KAFKA_MAX_IN_FLIGHT_BYTES)`
        : undefined;
    },
  },
  timeouts: httpTimeoutsFromEnv(config),
  ...(ingestThreads.size > 0 ? { ingestThreads } : {}),
  // Without a ledger shared by the collectors, the processor is where a retry's copy is recognised.
  idempotency: forwardIdempotencyKeys(),
});
if (!security.keyring.enabled && !security.clientCertificates)
  app.log.warn(
    config.ALLOW_UNAUTHENTICATED
      ? `AUTHENTICATION IS OFF (ALLOW_UNAUTHENTICATED): listening on ${config.HOST}; whoever reaches this port reads and writes logs, so keep it behind the gateway or NetworkPolicy that authenticates.`
      : 'AUTHENTICATION IS OFF: no API_KEYS or API_KEYS_FILE set; listening on loopback only.',
  );
const connections = trackConnections(app.server);
await queue.connect();
await app.listen({ host: config.HOST, port: config.PORT });
security.watch(app.server, app.log);
const probes = await startProbesFromEnv(config, app);

const syslog = await startSyslogFromEnv(config, {
  accept: acceptDeps({ queue, metrics, ...(tenants ? { tenants } : {}) }),
  registry,
  log: app.log,
  ...(security.https ? { tls: { options: security.https, clientCertificates: security.clientCertificates } } : {}),
});
if (syslog?.tlsServer) security.watch(syslog.tlsServer, app.log);

stopOnSignals(
  app.log,
  'Shutting down: answering requests in flight',
  async () => {
    // Closing the listeners first lets every request in flight finish its acknowledgement.
    await app.close();
    await syslog?.close();
    await ingestThreads.close();
    await queue.close();
    security.close();
    await probes?.close();
    await tracing.shutdown();
  },
  { connections: [connections], drainMs: config.SHUTDOWN_DRAIN_MS },
);
