import { mkdirSync } from 'node:fs';
import { resolve } from 'node:path';
import { assertSafeToListen, parseApiKeys, parseEnv } from '@instant-logs/service-kit';
import { createChdbTransport, createLogStore } from '@instant-logs/store';
import { runSampleTraffic, toNdjson } from '@instant-logs/sample-app';
import { buildEmbeddedPipeline } from './app.ts';
import { EmbeddedConfig } from './config.ts';
import { startTracing } from '@instant-logs/telemetry';

const tracing = startTracing('instant-logs', process.env);
const config = parseEnv(EmbeddedConfig, process.env);
const keyring = parseApiKeys(config.API_KEYS);
assertSafeToListen(keyring, config.HOST);

const dataDir = resolve(config.DATA_DIR);
mkdirSync(dataDir, { recursive: true });
const transport = createChdbTransport({ path: dataDir });
const store = createLogStore(transport, config.CLICKHOUSE_DATABASE);
const { applied } = await store.migrate();
const pipeline = buildEmbeddedPipeline({ store, keyring, logger: { level: config.LOG_LEVEL }, defaultMetrics: true });
const log = pipeline.app.log;
if (applied.length > 0) log.info({ applied }, 'Applied schema migrations');
if (!keyring.enabled) log.warn('AUTHENTICATION IS OFF: no API_KEYS set, so only 127.0.0.1 may connect. Set API_KEYS="<key>:<tenant>,…" to require keys.');

await pipeline.app.listen({ host: config.HOST, port: config.PORT });
const address = pipeline.app.server.address();
const port = typeof address === 'object' && address ? address.port : config.PORT;
const base = `http://${config.HOST.includes(':') ? `[${config.HOST}]` : config.HOST}:${port}`;
const auth = keyring.enabled ? ` -H 'Authorization: Bearer <key>'` : '';

const traffic = new AbortController();
let trafficDone: Promise<unknown> = Promise.resolve();
if (config.SAMPLE_TRAFFIC_RATE > 0) {
  const headers: Record<string, string> = { 'content-type': 'application/x-ndjson' };
  const firstKey = config.API_KEYS.split(',')[0]?.split(':')[0];
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
Instant Dev Logs is running (embedded: chdb data in ${dataDir})

  Dashboard   ${base}/
  Ingest      curl -X POST ${base}/api/v1/logs${auth} -H 'content-type: application/json' \\
                -d '{"service":"my-app","level":"error","message":"payment failed: card declined","attributes":{"order_id":"A-1001"}}'
  Search      curl '${base}/api/v1/logs?from=now-15m&q=declined'${auth}
  Histogram   curl '${base}/api/v1/logs/histogram?from=now-1h'${auth}
  Facets      curl '${base}/api/v1/facets?from=now-1h&attribute=http.status_code'${auth}
  Live tail   ws://${base.slice(7)}/api/v1/tail?q=level:error
  Metrics     ${base}/metrics
${config.SAMPLE_TRAFFIC_RATE > 0 ? `\n  Sample traffic: ${config.SAMPLE_TRAFFIC_RATE} records/s from a simulated shop (SAMPLE_TRAFFIC_RATE=0 turns it off).\n` : ''}`);

let stopping = false;
const shutdown = async (signal: string) => {
  if (stopping) return;
  stopping = true;
  log.info({ signal }, 'Shutting down: storing acknowledged records');
  traffic.abort();
  // Its last request must finish before the server stops, or the server waits on that connection.
  await trafficDone;
  await pipeline.close();
  await transport.close();
  await tracing.shutdown();
  process.exit(0);
};
process.on('SIGINT', () => void shutdown('SIGINT'));
process.on('SIGTERM', () => void shutdown('SIGTERM'));
