import type { FastifyInstance } from 'fastify';
import { LIMITS } from '@instant-logs/schema';
import type { LogQueue } from '@instant-logs/queue';
import {
  installApiKeyAuth,
  installCors,
  installErrorHandler,
  installSecurityHeaders,
  type ApiKeyring,
} from '@instant-logs/service-kit';
import type { CollectorMetrics } from './metrics.ts';
import type { TenantLimits } from './tenant-limits.ts';
import type { AcceptDeps } from './accept.ts';
import type { IdempotencyLedger } from './idempotency.ts';
import type { IngestThreads } from './ingest-threads.ts';
import { installAdmission, type Admission } from './admission.ts';
import { registerIngestRoute } from './routes/ingest.ts';
import { registerOtlpRoute } from './routes/otlp.ts';
import { registerElasticRoutes } from './routes/elastic.ts';
import { registerLokiRoute } from './routes/loki.ts';

export interface CollectorDeps {
  queue: LogQueue;
  keyring: ApiKeyring;
  metrics: CollectorMetrics;
  /** Epoch milliseconds; the default timestamp of records that carry none. */
  clock?: () => number;
  /** Per-tenant rate limits (per replica) and retention, from TENANTS_FILE; absent = none. Shared with the syslog listeners. */
  tenants?: TenantLimits;
  /** A verified client certificate authenticates as the tenant in its CN (mTLS). */
  clientCertificates?: boolean;
  /** Browser origins allowed to send logs cross-origin; empty or absent = CORS off. */
  corsOrigins?: readonly string[];
  /** Host names served besides loopback ones while auth is off (ALLOWED_HOSTS); 'any' behind a gateway that authenticates. */
  allowedHosts?: readonly string[] | 'any';
  /** Send Strict-Transport-Security (only when served over HTTPS). */
  hsts?: boolean;
  /** Memory ceilings decided before a body is read; absent = none. */
  admission?: Admission;
  /** Answers remembered per Idempotency-Key (the embedded process keeps them with its local log); absent = header ignored. */
  idempotency?: IdempotencyLedger;
  /** Threads that decode and normalise POST /api/v1/logs bodies off the event loop; absent = on it. */
  ingestThreads?: IngestThreads;
}

/** Pure: what every ingest path (HTTP routes and syslog) hands to acceptRecords, so they share limits and metrics. */
export function acceptDeps(
  deps: Pick<CollectorDeps, 'queue' | 'metrics' | 'clock' | 'tenants' | 'idempotency' | 'ingestThreads'>,
): AcceptDeps {
  return {
    queue: deps.queue,
    metrics: deps.metrics,
    clock: deps.clock ?? Date.now,
    ...(deps.tenants ? { tenants: deps.tenants } : {}),
    ...(deps.idempotency ? { idempotency: deps.idempotency } : {}),
    ...(deps.ingestThreads ? { ingestThreads: deps.ingestThreads } : {}),
  };
}

// Compressed bodies are read whole up to this size; the uncompressed limit is checked after decoding.
const RAW_BODY_LIMIT = LIMITS.maxRequestBytes;
// No text/plain: it is a type a web page may POST without a CORS preflight.
const BODY_TYPES = [
  'application/json',
  'application/x-ndjson',
  'application/jsonl',
  'application/json-lines',
  'application/ndjson',
  'application/x-protobuf',
  'application/protobuf',
  'application/vnd.elasticsearch+json',
  'application/vnd.elasticsearch+x-ndjson',
];

/** The collector's routes, encapsulated so its parsers, auth and error codes stay its own. */
export async function collectorPlugin(app: FastifyInstance, deps: CollectorDeps): Promise<void> {
  installErrorHandler(app, 'COLLECTOR', { mediaTypes: BODY_TYPES });
  installSecurityHeaders(app, { hsts: deps.hsts ?? false });
  // Before auth: a preflight carries no key and must be answered without one.
  installCors(app, { origins: deps.corsOrigins ?? [] });
  installApiKeyAuth(app, deps.keyring, {
    clientCertificates: deps.clientCertificates ?? false,
    origins: deps.corsOrigins ?? [],
    allowedHosts: deps.allowedHosts ?? [],
  });
  if (deps.admission) installAdmission(app, deps.admission, RAW_BODY_LIMIT);
  app.removeAllContentTypeParsers();
  app.addContentTypeParser(BODY_TYPES, { parseAs: 'buffer', bodyLimit: RAW_BODY_LIMIT }, (_request, body, done) =>
    done(null, body),
  );
  app.addHook('onResponse', async (request, reply) => {
    deps.metrics.requests.inc({ route: request.routeOptions.url ?? 'unknown', status: String(reply.statusCode) });
  });
  const accept = acceptDeps(deps);
  registerIngestRoute(app, accept);
  registerOtlpRoute(app, accept);
  registerElasticRoutes(app, accept);
  registerLokiRoute(app, accept);
}
