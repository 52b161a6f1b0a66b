import { mkdirSync, readFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import {
  admissionLimitsFromEnv,
  defaultIngestThreads,
  startIngestThreads,
  startSyslogFromEnv,
} from '@instant-logs/collector';
import { alertingFromEnv, tailLimitsFromEnv } from '@instant-logs/query';
import { openSegmentLog } from '@instant-logs/queue';
import { parseTenantPolicies } from '@instant-logs/schema';
import {
  httpTimeoutsFromEnv,
  listenerSecurity,
  parseEnv,
  startProbesFromEnv,
  stopOnSignals,
  trackConnections,
} from '@instant-logs/service-kit';
import { createAlertStore, createChdbTransport, createLogStore, createSavedObjectStore } from '@instant-logs/store';
import { runSampleTraffic, toNdjson } from '@instant-logs/sample-app';
import { buildEmbeddedPipeline } from './app.ts';
import { openIdempotencyLedger } from './idempotency.ts';
import { lowerEnginePriority } from './engine-priority.ts';
import { EmbeddedConfig } from './config.ts';
import { startTracing } from '@instant-logs/telemetry';

const tracing = startTracing('instant-logs', process.env);
const config = parseEnv(EmbeddedConfig, process.env);
const security = await listenerSecurity(config);
const keyring = security.keyring;
const tenants = config.TENANTS_FILE ? parseTenantPolicies(readFileSync(config.TENANTS_FILE, 'utf8')) : undefined;

const dataDir = resolve(config.DATA_DIR);
mkdirSync(dataDir, { recursive: true });
// The server's logger, set in the same tick the pipeline is built, so before its log processor's first insert.
const serverLog: { warn?: (obj: object, msg: string) => void; error?: (obj: object, msg: string) => void } = {};
const transport = createChdbTransport({
  path: dataDir,
  onSpoolError: (err, failures, dir) =>
    serverLog.warn?.(
      { err, failures, dir },
      'Could not write an insert spool file; inserting the rows inside the statement instead (slower). Check the data disk',
    ),
});
const enginePriority =
  config.CLICKHOUSE_THREAD_NICE > 0 ? lowerEnginePriority(config.CLICKHOUSE_THREAD_NICE) : undefined;
const store = createLogStore(transport, config.CLICKHOUSE_DATABASE);
const { applied } = await store.migrate();
const walDir = resolve(config.WAL_DIR ?? join(dataDir, 'wal'));
const wal = await openSegmentLog({ dir: walDir, segmentBytes: config.WAL_SEGMENT_BYTES });
const idempotency = await openIdempotencyLedger(wal, walDir, config.IDEMPOTENCY_WINDOW_S * 1000, (err) =>
  serverLog.error?.(
    { err },
    'Could not write the Idempotency-Key journal: a request retried after a restart may be stored twice. Check the data disk',
  ),
);
const ingestThreads = startIngestThreads(config.INGEST_THREADS ?? defaultIngestThreads());
const pipeline = buildEmbeddedPipeline({
  store,
  keyring,
  logger: { level: config.LOG_LEVEL },
  defaultMetrics: true,
  admission: admissionLimitsFromEnv(config),
  timeouts: httpTimeoutsFromEnv(config),
  tailLimits: tailLimitsFromEnv(config),
  idempotency,
  saved: {
    saved: createSavedObjectStore(transport, config.CLICKHOUSE_DATABASE),
    alerts: createAlertStore(transport, config.CLICKHOUSE_DATABASE),
  },
  alerting: alertingFromEnv(config, config.PORT),
  ...(ingestThreads.size > 0 ? { ingestThreads } : {}),
  wal: {
    log: wal,
    maxUnstoredBytes: config.WAL_MAX_UNSTORED_BYTES,
    ...(config.WAL_MAX_LAG_MS > 0 ? { maxLagMs: config.WAL_MAX_LAG_MS } : {}),
    processor: {
      limits: { maxRows: config.WAL_BATCH_MAX_ROWS, maxBytes: config.WAL_BATCH_MAX_BYTES },
      maxWaitMs: config.WAL_BATCH_WAIT_MS,
      deadLetterFile: join(walDir, 'dead-letters.ndjson'),
    },
  },
  corsOrigins: security.corsOrigins,
  allowedHosts: security.allowedHosts,
  clientCertificates: security.clientCertificates,
  ...(security.https ? { https: security.https } : {}),
  ...(tenants ? { tenants } : {}),
});
const log = pipeline.app.log;
serverLog.warn = (obj, msg) => log.warn(obj, msg);
serverLog.error = (obj, msg) => log.error(obj, msg);
if (applied.length > 0) log.info({ applied }, 'Applied schema migrations');
for (const { problem, ...where } of wal.recovery.truncated) {
  if (problem === 'torn')
    log.warn(where, 'Cut off a torn entry at the end of the log: a write the crash interrupted, never acknowledged');
  else
    log.error(
      where,
      'Cut off the end of a log segment that failed its checksum, its bytes saved at savedTo: a write a power loss interrupted, or acknowledged records the disk damaged',
    );
}
for (const { stored, ...where } of wal.recovery.damaged) {
  if (stored) log.warn(where, 'Repaired a damaged stretch of the log whose records were stored already');
  else
    log.error(
      where,
      'Records in the log failed their checksum and cannot be stored: the disk damaged them after they were acknowledged, or a power loss cut their write short before it was. Their bytes are saved at savedTo; the entries after them are kept and stored',
    );
}
if (wal.unstoredBytes() > 0)
  log.info({ bytes: wal.unstoredBytes(), dir: walDir }, 'Found records in the log not stored yet; storing them');
if (!keyring.enabled)
  log.warn(
    'AUTHENTICATION IS OFF: no API_KEYS or API_KEYS_FILE set, so only 127.0.0.1 may connect. Set API_KEYS="<key>:<tenant>,…" or make a keys file with `npm run -s keys -- create` to require keys.',
  );

const connections = trackConnections(pipeline.app.server);
await pipeline.app.listen({ host: config.HOST, port: config.PORT });
security.watch(pipeline.app.server, log);
const probes = await startProbesFromEnv(config, pipeline.app);
const address = pipeline.app.server.address();
const port = typeof address === 'object' && address ? address.port : config.PORT;
const host = config.HOST.includes(':') ? `[${config.HOST}]` : config.HOST;
const base = `${security.https ? 'https' : 'http'}://${host}:${port}`;
const syslog = await startSyslogFromEnv(config, {
  accept: pipeline.accept,
  registry: pipeline.registry,
  log,
  ...(security.https ? { tls: { options: security.https, clientCertificates: security.clientCertificates } } : {}),
});
if (syslog?.tlsServer) security.watch(syslog.tlsServer, log);
const auth = keyring.enabled ? ` -H 'Authorization: Bearer <key>'` : '';

const traffic = new AbortController();
let trafficDone: Promise<unknown> = Promise.resolve();
const firstKey = config.API_KEYS.split(',')[0]?.split(':')[0];
// The sample app is a plain HTTP client with a plaintext key: with only hashed keys or with TLS it has neither.
const sampleTraffic = config.SAMPLE_TRAFFIC_RATE > 0 && !security.https && (!keyring.enabled || Boolean(firstKey));
if (config.SAMPLE_TRAFFIC_RATE > 0 && !sampleTraffic)
  log.info('Sample traffic is off: it needs plain HTTP and a key in API_KEYS');
if (sampleTraffic) {
  const headers: Record<string, string> = { 'content-type': 'application/x-ndjson' };
  if (keyring.enabled && firstKey) headers['authorization'] = `Bearer ${firstKey}`;
  trafficDone = runSampleTraffic({
    ratePerSecond: config.SAMPLE_TRAFFIC_RATE,
    signal: traffic.signal,
    send: async (records) => {
      const res = await fetch(`${base}/api/v1/logs`, { method: 'POST', headers, body: toNdjson(records) });
      await res.arrayBuffer(); // frees the connection for the next request
      if (!res.ok) throw new Error(`sample traffic refused: HTTP ${res.status}`);
    },
  }).done;
}

console.log(`
Instant Dev Logs is running (embedded: chdb data in ${dataDir}, log in ${walDir})

  Dashboard   ${base}/
  Ingest      curl -X POST ${base}/api/v1/logs${auth} -H 'content-type: application/json' \\
                -d '{"service":"my-app","level":"error","message":"payment failed: card declined","attributes":{"order_id":"A-1001"}}'
  Search      curl '${base}/api/v1/logs?from=now-15m&q=declined'${auth}
  Histogram   curl '${base}/api/v1/logs/histogram?from=now-1h'${auth}
  Facets      curl '${base}/api/v1/facets?from=now-1h&attribute=http.status_code'${auth}
  Live tail   ${base.replace(/^http/, 'ws')}/api/v1/tail?q=level:error
  Metrics     ${base}/metrics${probes ? `\n  Probes      http://${host}:${probes.port}/healthz · /readyz (a thread of their own)` : ''}
  Shippers    OTLP/HTTP ${base}/v1/logs · Elasticsearch ${base}/_bulk · Loki ${base}/loki/api/v1/push${syslog ? `\n  Syslog      ${[syslog.tcpPort !== undefined ? `tcp://${host}:${syslog.tcpPort}` : '', syslog.udpPort !== undefined ? `udp://${host}:${syslog.udpPort}` : ''].filter(Boolean).join(' ')} (tenant ${config.SYSLOG_TENANT})` : ''}
${sampleTraffic ? `\n  Sample traffic: ${config.SAMPLE_TRAFFIC_RATE} records/s from a simulated shop (SAMPLE_TRAFFIC_RATE=0 turns it off).\n` : ''}`);

stopOnSignals(
  log,
  'Shutting down: storing acknowledged records',
  async () => {
    traffic.abort();
    // Its last request must finish before the server stops, or the server waits on that connection.
    await trafficDone;
    await syslog?.close();
    await pipeline.close();
    await ingestThreads.close();
    await wal.close();
    security.close();
    await probes?.close();
    enginePriority?.stop();
    await transport.close();
    await tracing.shutdown();
  },
  { connections: [connections], drainMs: config.SHUTDOWN_DRAIN_MS },
);
