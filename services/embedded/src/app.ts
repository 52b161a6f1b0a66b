import type { FastifyInstance, FastifyServerOptions } from 'fastify';
import { Gauge, Registry, collectDefaultMetrics } from 'prom-client';
import { acceptDeps, collectorPlugin, createCollectorMetrics, createTenantLimits, type AcceptDeps } from '@instant-logs/collector';
import { createProcessor, createProcessorMetrics, DEFAULT_LOG_PROCESSOR_OPTIONS, startLogProcessor, type LogProcessor, type LogProcessorOptions, type Processor, type ProcessorOptions } from '@instant-logs/processor';
import { createQueryMetrics, queryPlugin } from '@instant-logs/query';
import { createInProcessQueue, createWalQueue, type LogQueue, type SegmentLog } from '@instant-logs/queue';
import { type ApiKeyring, type HttpsServerOptions, createServer, installNotFoundHandler, registerOpsRoutes } from '@instant-logs/service-kit';
import type { TenantPolicies } from '@instant-logs/schema';
import type { LogStore } from '@instant-logs/store';

export interface EmbeddedDeps {
  store: LogStore;
  keyring: ApiKeyring;
  processor?: Partial<ProcessorOptions>;
  /**
   * The durable log in front of the store (main.ts opens DATA_DIR/wal): a 202 then waits for the
   * records' fsync in the log, and a log processor inserts them in large batches. Without it a 202
   * waits for the insert itself (group-committed through the in-process queue).
   */
  wal?: { log: SegmentLog; maxUnstoredBytes: number; processor: Partial<LogProcessorOptions> & Pick<LogProcessorOptions, 'deadLetterFile'> };
  clock?: () => number;
  /** Per-tenant rate limits and retention (TENANTS_FILE). */
  tenants?: TenantPolicies;
  tailPollMs?: number;
  /** The dashboard build served at / (default: the repository's dashboard/dist). */
  dashboardDir?: string;
  logger?: FastifyServerOptions['logger'];
  /** Serve HTTPS; with client certificates requested, a verified certificate's CN is an ingest tenant. */
  https?: HttpsServerOptions;
  clientCertificates?: boolean;
  /** Browser origins allowed to call the API cross-origin; default off. */
  corsOrigins?: readonly string[];
  /** Process-wide metrics (CPU, memory, event loop); off in tests that build many apps. */
  defaultMetrics?: boolean;
}

export interface EmbeddedPipeline {
  app: FastifyInstance;
  /** The store-facing half without a log: a 202 waits for its insert. */
  processor?: Processor;
  /** The store-facing half behind the log. */
  logProcessor?: LogProcessor;
  registry: Registry;
  /** What the collector's routes ingest through; the syslog listeners share it (limits, metrics, queue). */
  accept: AcceptDeps;
  /** Stops taking requests, stores everything acknowledged so far (a failing store is not waited for: the log keeps it), then closes. */
  close(): Promise<void>;
}

/**
 * The whole pipeline in one process: the collector's and query service's own plugins on one
 * server, joined by the durable log (or, without one, an in-process queue that acknowledges only
 * what the processor has stored).
 */
export function buildEmbeddedPipeline(deps: EmbeddedDeps): EmbeddedPipeline {
  const registry = new Registry();
  if (deps.defaultMetrics) collectDefaultMetrics({ register: registry });
  const clock = deps.clock ? { clock: deps.clock } : {};
  const app = createServer(deps.logger, { bodyLimit: 6 * 1024 * 1024 }, deps.https);
  let queue: LogQueue;
  let processor: Processor | undefined;
  let logProcessor: LogProcessor | undefined;
  if (deps.wal) {
    const { log, maxUnstoredBytes } = deps.wal;
    queue = createWalQueue(log, { maxUnstoredBytes });
    new Gauge({
      name: 'instant_logs_wal_unstored_bytes',
      help: 'Bytes in the local log not yet stored; ingest answers 429 beyond WAL_MAX_UNSTORED_BYTES.',
      registers: [registry],
      collect() {
        this.set(log.unstoredBytes());
      },
    });
    const options = { ...DEFAULT_LOG_PROCESSOR_OPTIONS, ...deps.wal.processor };
    logProcessor = startLogProcessor(deps.store, log, options, createProcessorMetrics(registry).kafkaObserver, (err) => app.log.error({ err }, 'Failed to read the log; retrying'));
  } else {
    processor = createProcessor(deps.store, registry, deps.processor);
    queue = createInProcessQueue(processor.consume, () => deps.store.ping().then(() => true));
  }

  const browser = { ...(deps.corsOrigins ? { corsOrigins: deps.corsOrigins } : {}), ...(deps.https ? { hsts: true } : {}) };
  const tenants = deps.tenants ? { tenants: createTenantLimits(deps.tenants, deps.clock) } : {};
  const collector = { queue, keyring: deps.keyring, metrics: createCollectorMetrics(registry), ...clock, ...tenants, ...browser, clientCertificates: deps.clientCertificates ?? false };
  app.register(collectorPlugin, collector);
  app.register(queryPlugin, {
    store: deps.store,
    keyring: deps.keyring,
    metrics: createQueryMetrics(registry),
    ...clock,
    ...(deps.tailPollMs ? { tailPollMs: deps.tailPollMs } : {}),
    ...(deps.dashboardDir ? { dashboardDir: deps.dashboardDir } : {}),
    ...browser,
  });
  installNotFoundHandler(app, 'API');
  registerOpsRoutes(app, { registry, ready: () => queue.ready() });

  return {
    app,
    ...(processor ? { processor } : {}),
    ...(logProcessor ? { logProcessor } : {}),
    registry,
    accept: acceptDeps(collector),
    async close() {
      await app.close();
      await queue.close();
      await processor?.close();
      await logProcessor?.close();
    },
  };
}
