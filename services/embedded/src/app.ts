import type { FastifyInstance, FastifyServerOptions } from 'fastify';
import { Gauge, Histogram, Registry, collectDefaultMetrics } from 'prom-client';
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
  type IdempotencyLedger,
  type IngestThreads,
  type Lag,
} from '@instant-logs/collector';
import {
  createProcessorMetrics,
  DEFAULT_LOG_PROCESSOR_OPTIONS,
  startLogProcessor,
  type LogProcessor,
  type LogProcessorOptions,
} from '@instant-logs/processor';
import {
  createQueryMetrics,
  queryPlugin,
  type AlertingOptions,
  type SavedStores,
  type TailLimits,
} from '@instant-logs/query';
import { createWalQueue, DOCUMENT_DIGEST, type LogQueue, type SegmentLog } from '@instant-logs/queue';
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
import { LIMITS, type TenantPolicies } from '@instant-logs/schema';
import type { LogStore } from '@instant-logs/store';

export interface EmbeddedDeps {
  store: LogStore;
  keyring: ApiKeyring;
  /**
   * The durable log in front of the store (main.ts opens DATA_DIR/wal): a 202 waits for the records'
   * fsync in the log, and a log processor inserts them in large batches with the Kafka path's writer.
   */
  wal: {
    log: SegmentLog;
    maxUnstoredBytes: number;
    /**
     * While the oldest unstored record is older than this (and inserts succeed), a new request waits
     * unread for the next stored batch, up to this long again, then gets 429: what is acknowledged
     * becomes queryable within about this long even when the store falls behind. Absent = no bound.
     */
    maxLagMs?: number;
    processor: Partial<LogProcessorOptions> & Pick<LogProcessorOptions, 'deadLetterFile'>;
  };
  /** Answers remembered per Idempotency-Key (main.ts keeps them beside the log); absent = the header is ignored. */
  idempotency?: IdempotencyLedger;
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
  /** In-flight request bytes per process and tenant (INGEST_MAX_*); the queue's backlog is checked too. */
  admission?: Partial<Pick<AdmissionLimits, 'maxInFlightBytes' | 'maxTenantInFlightBytes'>>;
  /** Header, body and keep-alive timeouts (HTTP_*_TIMEOUT_MS); defaults when absent. */
  timeouts?: Partial<HttpTimeouts>;
  /** Process-wide metrics (CPU, memory, event loop); off in tests that build many apps. */
  defaultMetrics?: boolean;
  /** Threads that decode and normalise ingest bodies off the event loop (INGEST_THREADS); the caller closes them. */
  ingestThreads?: IngestThreads;
  /** Saved views and alert rules (absent: their routes are not served). */
  saved?: SavedStores;
  /** Alert evaluation settings (ALERT_*); defaults when absent. */
  alerting?: Partial<AlertingOptions>;
}

export interface EmbeddedPipeline {
  app: FastifyInstance;
  /** The store-facing half behind the log. */
  logProcessor: LogProcessor;
  registry: Registry;
  /** What the collector's routes ingest through; the syslog listeners share it (limits, metrics, queue). */
  accept: AcceptDeps;
  /** The ingest memory ceilings, decided before a body is read. */
  admission: Admission;
  /** Stops taking requests, stores everything acknowledged so far (a failing store is not waited for: the log keeps it), then closes. */
  close(): Promise<void>;
}

interface StoreSide {
  queue: LogQueue;
  /** Why the queue cannot take more now, asked before a body is read; undefined when it can. */
  backlog(): string | undefined;
  /** How far behind the store is, for requests to wait on before their bodies are read. */
  lag?: Lag;
  logProcessor: LogProcessor;
  /** Stops observing the log: a log outlives the app built on it (tests reopen apps on one log). */
  detach(): void;
}

/**
 * The whole pipeline in one process: the collector's and query service's own plugins on one
 * server, joined by the durable log.
 */
export function buildEmbeddedPipeline(deps: EmbeddedDeps): EmbeddedPipeline {
  const registry = new Registry();
  if (deps.defaultMetrics) collectDefaultMetrics({ register: registry });
  const clock = deps.clock ? { clock: deps.clock } : {};
  const app = createServer(
    deps.logger,
    { bodyLimit: LIMITS.maxRequestBytes, ...timeoutServerOptions(deps.timeouts) },
    deps.https,
  );
  const side = behindLog(deps, deps.wal, registry, app);
  const { queue } = side;

  const browser = {
    ...(deps.corsOrigins ? { corsOrigins: deps.corsOrigins } : {}),
    ...(deps.allowedHosts ? { allowedHosts: deps.allowedHosts } : {}),
    ...(deps.https ? { hsts: true } : {}),
  };
  const tenants = deps.tenants ? { tenants: createTenantLimits(deps.tenants, deps.clock) } : {};
  const collectorMetrics = createCollectorMetrics(registry);
  // A full backlog refuses bodies unread, instead of after each was read and parsed.
  const limits = {
    ...DEFAULT_ADMISSION_LIMITS,
    ...deps.admission,
    backlog: side.backlog,
    ...(side.lag ? { lag: side.lag } : {}),
  };
  const admission = createAdmission(limits, Date.now, admissionObserver(collectorMetrics));
  const collector = {
    queue,
    admission,
    keyring: deps.keyring,
    metrics: collectorMetrics,
    ...clock,
    ...tenants,
    ...browser,
    ...(deps.idempotency ? { idempotency: deps.idempotency } : {}),
    ...(deps.ingestThreads ? { ingestThreads: deps.ingestThreads } : {}),
    clientCertificates: deps.clientCertificates ?? false,
  };
  app.register(collectorPlugin, collector);
  app.register(queryPlugin, {
    store: deps.store,
    keyring: deps.keyring,
    metrics: createQueryMetrics(registry),
    ...clock,
    ...(deps.tailPollMs ? { tailPollMs: deps.tailPollMs } : {}),
    ...(deps.tailLimits ? { tailLimits: deps.tailLimits } : {}),
    ...(deps.dashboardDir ? { dashboardDir: deps.dashboardDir } : {}),
    ...(deps.saved ? { saved: deps.saved } : {}),
    ...(deps.alerting ? { alerting: deps.alerting } : {}),
    ...browser,
  });
  installNotFoundHandler(app, 'API');
  const queueReady = boundedProbe(() => queue.ready());
  registerOpsRoutes(app, { registry, ready: async () => admission.overload() === undefined && (await queueReady()) });

  return {
    app,
    logProcessor: side.logProcessor,
    registry,
    accept: acceptDeps(collector),
    admission,
    async close() {
      await app.close();
      await queue.close();
      await side.logProcessor.close();
      side.detach();
      await deps.idempotency?.close();
    },
  };
}

function behindLog(deps: EmbeddedDeps, wal: EmbeddedDeps['wal'], registry: Registry, app: FastifyInstance): StoreSide {
  const { log, maxUnstoredBytes, maxLagMs } = wal;
  const groupSeconds = new Histogram({
    name: 'instant_logs_wal_group_commit_seconds',
    help: 'Time to write and fdatasync one group of local log entries: every acknowledgement waits for its group.',
    buckets: [0.0005, 0.001, 0.002, 0.005, 0.01, 0.02, 0.05, 0.1, 0.25, 0.5, 1, 2.5],
    registers: [registry],
  });
  const groupEntries = new Histogram({
    name: 'instant_logs_wal_group_commit_entries',
    help: 'Requests (log entries) acknowledged by one group commit of the local log.',
    buckets: [1, 2, 4, 8, 16, 32, 64, 128],
    registers: [registry],
  });
  const stopObserving = log.onGroupCommit((group) => {
    groupSeconds.observe(group.seconds);
    groupEntries.observe(group.entries);
  });
  new Gauge({
    name: 'instant_logs_wal_unstored_bytes',
    help: 'Bytes in the local log not yet stored; ingest answers 429 beyond WAL_MAX_UNSTORED_BYTES.',
    registers: [registry],
    collect() {
      this.set(log.unstoredBytes());
    },
  });
  new Gauge({
    name: 'instant_logs_wal_lag_seconds',
    help: 'How long the oldest record in the local log has waited to be stored; beyond WAL_MAX_LAG_MS new requests wait, then get 429.',
    registers: [registry],
    collect() {
      this.set(log.unstoredAgeMs() / 1000);
    },
  });
  const ledger = deps.idempotency;
  const options = {
    ...DEFAULT_LOG_PROCESSOR_OPTIONS,
    ...(ledger
      ? {
          beforeCommit: () => ledger.flush(),
          forgetDocuments: (documents: readonly { tenant: string; key: string }[]) => {
            for (const d of documents) ledger.forget(d.tenant, { key: d.key, digest: DOCUMENT_DIGEST });
          },
        }
      : {}),
    ...wal.processor,
  };
  const onError = (err: unknown) => app.log.error({ err }, 'Failed to read the log; retrying');
  const logProcessor = startLogProcessor(
    deps.store,
    log,
    options,
    createProcessorMetrics(registry).kafkaObserver,
    onError,
  );
  return {
    queue: createWalQueue(log, { maxUnstoredBytes }),
    backlog: () => {
      const unstored = log.unstoredBytes();
      return unstored >= maxUnstoredBytes
        ? `${unstored} bytes in the local log are waiting to be stored, at the limit of ${maxUnstoredBytes} (WAL_MAX_UNSTORED_BYTES)`
        : undefined;
    },
    ...(maxLagMs === undefined ? {} : { lag: lagOf(log, logProcessor, maxLagMs) }),
    logProcessor,
    detach: stopObserving,
  };
}

/** The log's soft limit: a request waits up to maxLagMs for the oldest unstored record to be younger than that. */
function lagOf(log: SegmentLog, processor: LogProcessor, maxLagMs: number): Lag {
  return {
    behind() {
      // While the store is down, holding or refusing would not make anything queryable sooner: the log
      // takes records up to its byte limit instead, and the bound applies again once inserts succeed.
      if (processor.storeFailing()) return undefined;
      const age = log.unstoredAgeMs();
      return age > maxLagMs
        ? `records in the local log have waited ${age} ms to be stored, beyond the limit of ${maxLagMs} ms (WAL_MAX_LAG_MS)`
        : undefined;
    },
    progress: (timeoutMs) => log.waitForCommit(timeoutMs),
    holdMs: maxLagMs,
  };
}
