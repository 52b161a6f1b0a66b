import type { FastifyInstance, FastifyServerOptions } from 'fastify';
import { Registry } from 'prom-client';
import {
  type ApiKeyring,
  type AuditLog,
  type HttpTimeouts,
  type HttpsServerOptions,
  type TailTickets,
  boundedProbe,
  createServer,
  installNotFoundHandler,
  registerOpsRoutes,
  timeoutServerOptions,
} from '@instant-logs/service-kit';
import type { LogStore } from '@instant-logs/store';
import { createQueryMetrics } from './metrics.ts';
import { queryPlugin } from './plugin.ts';
import type { TailBuffer } from './routes/tail.ts';
import type { TailLimits } from './tail-limits.ts';
import type { SavedStores } from './alerts/plugin.ts';
import type { AlertingOptions } from './alerts/evaluator.ts';

export interface QueryAppDeps {
  store: LogStore;
  keyring: ApiKeyring;
  registry?: Registry;
  clock?: () => number;
  tailPollMs?: number;
  dashboardDir?: string;
  logger?: FastifyServerOptions['logger'];
  /** Browser origins allowed to call the API cross-origin (the CORS_ORIGINS setting); default off. */
  corsOrigins?: readonly string[];
  /** Host names served besides loopback ones while auth is off (ALLOWED_HOSTS); 'any' behind a gateway that authenticates. */
  allowedHosts?: readonly string[] | 'any';
  /** Live-tail tickets, signed with a secret every replica shares. */
  tickets?: TailTickets;
  audit?: AuditLog;
  /** Serve HTTPS (TLS_* settings); Strict-Transport-Security is sent then. */
  https?: HttpsServerOptions;
  /** Header, body and keep-alive timeouts (HTTP_*_TIMEOUT_MS); defaults when absent. */
  timeouts?: Partial<HttpTimeouts>;
  /** Caps on live tails (TAIL_MAX_*, TAIL_POLL_CONCURRENCY); defaults when absent. */
  tailLimits?: Partial<TailLimits>;
  /** A tail's outbox bounds; defaults when absent. */
  tailBuffer?: TailBuffer;
  /** Saved views and alert rules (absent: their routes are not served). */
  saved?: SavedStores;
  /** Alert evaluation settings (ALERT_*); defaults when absent. */
  alerting?: Partial<AlertingOptions>;
}

/** The query service as a standalone HTTP app. Never listens and never reads the environment. */
export function buildApp(deps: QueryAppDeps): FastifyInstance {
  const app = createServer(deps.logger, timeoutServerOptions(deps.timeouts), deps.https);
  const registry = deps.registry ?? new Registry();
  const { store, keyring, clock, tailPollMs, dashboardDir, corsOrigins, allowedHosts, tickets, audit } = deps;
  app.register(queryPlugin, {
    store,
    keyring,
    metrics: createQueryMetrics(registry),
    ...(clock ? { clock } : {}),
    ...(tailPollMs ? { tailPollMs } : {}),
    ...(dashboardDir ? { dashboardDir } : {}),
    ...(corsOrigins ? { corsOrigins } : {}),
    ...(allowedHosts ? { allowedHosts } : {}),
    ...(tickets ? { tickets } : {}),
    ...(deps.https ? { hsts: true } : {}),
    ...(audit ? { audit } : {}),
    ...(deps.tailLimits ? { tailLimits: deps.tailLimits } : {}),
    ...(deps.tailBuffer ? { tailBuffer: deps.tailBuffer } : {}),
    ...(deps.saved ? { saved: deps.saved } : {}),
    ...(deps.alerting ? { alerting: deps.alerting } : {}),
  });
  installNotFoundHandler(app, 'QUERY');
  // Bounded: a store busy with heavy queries must not make the kubelet's probe time out.
  registerOpsRoutes(app, { registry, ready: boundedProbe(() => store.ping().then(() => true)) });
  return app;
}
