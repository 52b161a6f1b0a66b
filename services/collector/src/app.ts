import type { FastifyInstance, FastifyServerOptions } from 'fastify';
import { Registry } from 'prom-client';
import {
  type ApiKeyring,
  type HttpTimeouts,
  type HttpsServerOptions,
  boundedProbe,
  createServer,
  installNotFoundHandler,
  registerOpsRoutes,
  timeoutServerOptions,
} from '@instant-logs/service-kit';
import { LIMITS } from '@instant-logs/schema';
import type { LogQueue } from '@instant-logs/queue';
import { admissionObserver, createCollectorMetrics, type CollectorMetrics } from './metrics.ts';
import { collectorPlugin } from './plugin.ts';
import type { IdempotencyLedger } from './idempotency.ts';
import type { IngestThreads } from './ingest-threads.ts';
import type { TenantLimits } from './tenant-limits.ts';
import { createAdmission, DEFAULT_ADMISSION_LIMITS, type AdmissionLimits } from './admission.ts';

export interface CollectorAppDeps {
  queue: LogQueue;
  keyring: ApiKeyring;
  registry?: Registry;
  clock?: () => number;
  /** Per-tenant rate limits and retention (TENANTS_FILE), shared with the syslog listeners. */
  tenants?: TenantLimits;
  /** A registry's collector metrics, when the caller shares them with the syslog listeners. */
  metrics?: CollectorMetrics;
  logger?: FastifyServerOptions['logger'];
  /** Serve HTTPS (TLS_* settings); with client certificates requested, a verified certificate's CN is a tenant. */
  https?: HttpsServerOptions;
  clientCertificates?: boolean;
  corsOrigins?: readonly string[];
  allowedHosts?: readonly string[] | 'any';
  /** In-flight request bytes per process and tenant (INGEST_MAX_*); defaults fit the chart's memory limit. */
  admission?: Partial<AdmissionLimits>;
  /** Header, body and keep-alive timeouts (HTTP_*_TIMEOUT_MS); defaults when absent. */
  timeouts?: Partial<HttpTimeouts>;
  /** Threads that decode and normalise ingest bodies off the event loop (INGEST_THREADS); the caller closes them. */
  ingestThreads?: IngestThreads;
  /** What becomes of an Idempotency-Key (main.ts forwards it to the processor); absent = the header is ignored. */
  idempotency?: IdempotencyLedger;
}

/** The collector as a standalone HTTP app. Never listens and never reads the environment. */
export function buildApp(deps: CollectorAppDeps): FastifyInstance {
  const app = createServer(
    deps.logger,
    { bodyLimit: LIMITS.maxRequestBytes, ...timeoutServerOptions(deps.timeouts) },
    deps.https,
  );
  const registry = deps.registry ?? new Registry();
  const metrics = deps.metrics ?? createCollectorMetrics(registry);
  const admission = createAdmission(
    { ...DEFAULT_ADMISSION_LIMITS, ...deps.admission },
    Date.now,
    admissionObserver(metrics),
  );
  app.register(collectorPlugin, {
    queue: deps.queue,
    keyring: deps.keyring,
    metrics,
    admission,
    ...(deps.clock ? { clock: deps.clock } : {}),
    ...(deps.ingestThreads ? { ingestThreads: deps.ingestThreads } : {}),
    ...(deps.idempotency ? { idempotency: deps.idempotency } : {}),
    ...(deps.tenants ? { tenants: deps.tenants } : {}),
    ...(deps.clientCertificates ? { clientCertificates: true } : {}),
    ...(deps.corsOrigins ? { corsOrigins: deps.corsOrigins } : {}),
    ...(deps.allowedHosts ? { allowedHosts: deps.allowedHosts } : {}),
    ...(deps.https ? { hsts: true } : {}),
  });
  installNotFoundHandler(app, 'COLLECTOR');
  const queueReady = boundedProbe(() => deps.queue.ready());
  registerOpsRoutes(app, { registry, ready: async () => admission.overload() === undefined && (await queueReady()) });
  return app;
}
