import websocket from '@fastify/websocket';
import type { FastifyInstance } from 'fastify';
import {
  createAuditLog,
  createTailTickets,
  installApiKeyAuth,
  installCors,
  installErrorHandler,
  installSecurityHeaders,
  type ApiKeyring,
  type AuditLog,
  type TailTickets,
} from '@instant-logs/service-kit';
import type { LogStore } from '@instant-logs/store';
import { QUERY_MEDIA_TYPES, toQueryError } from './errors.ts';
import type { QueryMetrics } from './metrics.ts';
import type { TailLimits } from './tail-limits.ts';
import { auditAdminRequests, registerAdminRoutes } from './routes/admin.ts';
import { DEFAULT_DASHBOARD_DIR, registerDashboardRoutes } from './routes/dashboard.ts';
import { registerOpenApiRoute } from './routes/openapi.ts';
import { registerPatternsRoute } from './routes/patterns.ts';
import { registerSearchRoutes } from './routes/search.ts';
import { registerTailRoute, registerTailTicketRoute, type TailBuffer } from './routes/tail.ts';
import { registerSavedAndAlerts, type SavedStores } from './alerts/plugin.ts';
import type { AlertingOptions } from './alerts/evaluator.ts';

export interface QueryDeps {
  store: LogStore;
  keyring: ApiKeyring;
  metrics: QueryMetrics;
  clock?: () => number;
  /** How often live tail asks the store for new records. */
  tailPollMs?: number;
  /** The dashboard build served at / (default: the repository's dashboard/dist). */
  dashboardDir?: string;
  /** Browser origins allowed to call the API cross-origin; empty or absent = CORS off. */
  corsOrigins?: readonly string[];
  /** Host names served besides loopback ones while auth is off (ALLOWED_HOSTS); 'any' behind a gateway that authenticates. */
  allowedHosts?: readonly string[] | 'any';
  /** Live-tail tickets; replicas behind one Service need a shared secret (default: this process's own). */
  tickets?: TailTickets;
  /** Send Strict-Transport-Security (only when served over HTTPS). */
  hsts?: boolean;
  /** Where admin actions are recorded (default: the service log and the tenant's own logs). */
  audit?: AuditLog;
  /** Caps on live tails (TAIL_MAX_*, TAIL_POLL_CONCURRENCY); defaults when absent. */
  tailLimits?: Partial<TailLimits>;
  /** A tail's outbox: records held for a backed-up reader before it is dropped, and the socket's high-water mark. */
  tailBuffer?: TailBuffer;
  /** Saved views and alert rules (absent: their routes are not served). */
  saved?: SavedStores;
  /** Alert evaluation settings (ALERT_*); defaults when absent. */
  alerting?: Partial<AlertingOptions>;
}

/** The query API and the dashboard page, encapsulated so its auth and error codes stay its own. */
export async function queryPlugin(app: FastifyInstance, deps: QueryDeps): Promise<void> {
  installErrorHandler(app, 'QUERY', { mediaTypes: QUERY_MEDIA_TYPES, mapError: toQueryError });
  // Only JSON bodies: text/plain is a type a web page may POST without a CORS preflight.
  app.removeContentTypeParser('text/plain');
  installSecurityHeaders(app, { hsts: deps.hsts ?? false });
  // Before auth: a preflight carries no key and must be answered without one.
  installCors(app, { origins: deps.corsOrigins ?? [] });
  const tickets = deps.tickets ?? createTailTickets();
  installApiKeyAuth(app, deps.keyring, {
    tickets,
    origins: deps.corsOrigins ?? [],
    allowedHosts: deps.allowedHosts ?? [],
  });
  await app.register(websocket, { options: { maxPayload: 64 * 1024 } });
  app.addHook('onResponse', async (request, reply) => {
    const route = request.routeOptions.url;
    if (route?.startsWith('/api/'))
      deps.metrics.duration.observe({ route, status: String(reply.statusCode) }, reply.elapsedTime / 1000);
  });
  const clock = deps.clock ?? Date.now;
  const audit = deps.audit ?? createAuditLog({ log: app.log, store: deps.store, clock });
  auditAdminRequests(app, audit);
  registerSearchRoutes(app, deps.store, clock);
  registerPatternsRoute(app, deps.store, clock);
  registerOpenApiRoute(app);
  registerAdminRoutes(app, { store: deps.store, audit, clock });
  registerTailTicketRoute(app, tickets);
  registerTailRoute(app, deps.store, deps.metrics, {
    pollMs: deps.tailPollMs ?? 250,
    ...(deps.tailLimits ? { limits: deps.tailLimits } : {}),
    ...deps.tailBuffer,
  });
  if (deps.saved)
    registerSavedAndAlerts(app, {
      ...deps.saved,
      store: deps.store,
      metrics: deps.metrics.alerts,
      clock,
      alerting: deps.alerting,
    });
  registerDashboardRoutes(app, { dir: deps.dashboardDir ?? DEFAULT_DASHBOARD_DIR });
}
