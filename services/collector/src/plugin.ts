import type { FastifyInstance } from 'fastify';
import { LIMITS } from '@instant-logs/schema';
import type { LogQueue } from '@instant-logs/queue';
import { installApiKeyAuth, installErrorHandler, isOpsPath, type ApiKeyring } from '@instant-logs/service-kit';
import type { CollectorMetrics } from './metrics.ts';
import { registerIngestRoute } from './routes/ingest.ts';
import { registerOtlpRoute } from './routes/otlp.ts';

export interface CollectorDeps {
  queue: LogQueue;
  keyring: ApiKeyring;
  metrics: CollectorMetrics;
  /** Epoch milliseconds; the default timestamp of records that carry none. */
  clock?: () => number;
}

// Compressed bodies are read whole up to this size; the uncompressed limit is checked after decoding.
const RAW_BODY_LIMIT = LIMITS.maxRequestBytes;
const BODY_TYPES = ['application/json', 'application/x-ndjson', 'application/jsonl', 'application/json-lines', 'application/ndjson', 'text/plain', 'application/x-protobuf', 'application/protobuf'];

/** The collector's routes, encapsulated so its parsers, auth and error codes stay its own. */
export async function collectorPlugin(app: FastifyInstance, deps: CollectorDeps): Promise<void> {
  installErrorHandler(app, 'COLLECTOR');
  installApiKeyAuth(app, deps.keyring, isOpsPath);
  app.removeAllContentTypeParsers();
  app.addContentTypeParser(BODY_TYPES, { parseAs: 'buffer', bodyLimit: RAW_BODY_LIMIT }, (_request, body, done) => done(null, body));
  app.addHook('onResponse', async (request, reply) => {
    deps.metrics.requests.inc({ route: request.routeOptions.url ?? 'unknown', status: String(reply.statusCode) });
  });
  const accept = { queue: deps.queue, metrics: deps.metrics, clock: deps.clock ?? Date.now };
  registerIngestRoute(app, accept);
  registerOtlpRoute(app, accept);
}
