import type { FastifyInstance, FastifyServerOptions } from 'fastify';
import { Registry, collectDefaultMetrics } from 'prom-client';
import {
  acceptDeps,
  admissionObserver,
  collectorPlugin,
  createAdmission,
  createCollectorMetrics,
  createTenantLimits,
  DEFAULT_ADMISSION_LIMITS,
  type AcceptDeps,
  type Admission,
  type AdmissionLimits,
} from '@instant-logs/collector';
import { createProcessor, DEFAULT_PROCESSOR_OPTIONS, type Processor, type ProcessorOptions } from '@instant-logs/processor';
import { createQueryMetrics, queryPlugin, type TailLimits } from '@instant-logs/query';
import { createInProcessQueue } from '@instant-logs/queue';
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
import type { TenantPolicies } from '@instant-logs/schema';
import type { LogStore } from '@instant-logs/store';

export interface EmbeddedDeps {
  store: LogStore;
  keyring: ApiKeyring;
  processor?: Partial<ProcessorOptions>;
  clock?: () => number;
  /** Per-tenant rate limits and retention (TENANTS_FILE). */
  tenants?: TenantPolicies;
  tailPollMs?: number;
  /** Caps on live tails (TAIL_MAX_*, TAIL_POLL_CONCURRENCY); defaults when absent. */
  tailLimits?: Partial<TailLimits>;
  /** The dashboard build served at / (default: the repository's dashboard/dist). */
  dashboardDir?: string;
  logger?: FastifyServerOptions['logger'];
  /** Serve HTTPS; with client certificates requested, a verified certificate's CN is an ingest tenant. */
  https?: HttpsServerOptions;
  clientCertificates?: boolean;
  /** Browser origins allowed to call the API cross-origin; default off. */
  corsOrigins?: readonly string[];
  /** Host names served besides loopback ones while auth is off (ALLOWED_HOSTS); 'any' behind a gateway that authenticates. */
  allowedHosts?: readonly string[] | 'any';
  /** In-flight request bytes per process and tenant (INGEST_MAX_*); the processor's pending rows are checked too. */
  admission?: Partial<Pick<AdmissionLimits, 'maxInFlightBytes' | 'maxTenantInFlightBytes'>>;
  /** Header, body and keep-alive timeouts (HTTP_*_TIMEOUT_MS); defaults when absent. */
  timeouts?: Partial<HttpTimeouts>;
  /** Process-wide metrics (CPU, memory, event loop); off in tests that build many apps. */
  defaultMetrics?: boolean;
}

export interface EmbeddedPipeline {
  app: FastifyInstance;
  processor: Processor;
  registry: Registry;
  /** What the collector's routes ingest through; the syslog listeners share it (limits, metrics, queue). */
  accept: AcceptDeps;
  /** The ingest memory ceilings, decided before a body is read. */
  admission: Admission;
  /** Stops taking requests, stores everything acknowledged so far, then closes. */
  close(): Promise<void>;
}

/**
 * The whole pipeline in one process: the collector's and query service's own plugins on one
 * server, joined by an in-process queue that acknowledges only what the processor has stored.
 */
export function buildEmbeddedPipeline(deps: EmbeddedDeps): EmbeddedPipeline {
  const registry = new Registry();
  if (deps.defaultMetrics) collectDefaultMetrics({ register: registry });
  const processor = createProcessor(deps.store, registry, deps.processor);
  const queue = createInProcessQueue(processor.consume, () => deps.store.ping().then(() => true));
  const clock = deps.clock ? { clock: deps.clock } : {};

  const app = createServer(deps.logger, { bodyLimit: 6 * 1024 * 1024, ...timeoutServerOptions(deps.timeouts) }, deps.https);
  const browser = {
    ...(deps.corsOrigins ? { corsOrigins: deps.corsOrigins } : {}),
    ...(deps.allowedHosts ? { allowedHosts: deps.allowedHosts } : {}),
    ...(deps.https ? { hsts: true } : {}),
  };
  const tenants = deps.tenants ? { tenants: createTenantLimits(deps.tenants, deps.clock) } : {};
  const collectorMetrics = createCollectorMetrics(registry);
  // A full processor backlog refuses bodies unread, instead of after each was read and parsed.
  const admission = createAdmission({
    ...DEFAULT_ADMISSION_LIMITS,
    ...deps.admission,
    backlog: () => {
      const [pending, max] = [processor.pendingRows(), deps.processor?.maxPendingRows ?? DEFAULT_PROCESSOR_OPTIONS.maxPendingRows];
      return pending >= max ? `${pending} rows are waiting to be stored, at the limit of ${max}` : undefined;
    },
  }, Date.now, admissionObserver(collectorMetrics));
  const collector = { queue, admission, keyring: deps.keyring, metrics: collectorMetrics, ...clock, ...tenants, ...browser, clientCertificates: deps.clientCertificates ?? false };
  app.register(collectorPlugin, collector);
  app.register(queryPlugin, {
    store: deps.store,
    keyring: deps.keyring,
    metrics: createQueryMetrics(registry),
    ...clock,
    ...(deps.tailPollMs ? { tailPollMs: deps.tailPollMs } : {}),
    ...(deps.tailLimits ? { tailLimits: deps.tailLimits } : {}),
    ...(deps.dashboardDir ? { dashboardDir: deps.dashboardDir } : {}),
    ...browser,
  });
  installNotFoundHandler(app, 'API');
  const queueReady = boundedProbe(() => queue.ready());
  registerOpsRoutes(app, { registry, ready: async () => admission.overload() === undefined && (await queueReady()) });

  return {
    app,
    processor,
    registry,
    accept: acceptDeps(collector),
    admission,
    async close() {
      await app.close();
      await queue.close();
      await processor.close();
    },
  };
}
