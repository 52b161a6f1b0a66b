import websocket from '@fastify/websocket';
import type { FastifyInstance } from 'fastify';
import { installApiKeyAuth, installErrorHandler, isOpsPath, type ApiKeyring } from '@instant-logs/service-kit';
import type { LogStore } from '@instant-logs/store';
import type { QueryMetrics } from './metrics.ts';
import { DEFAULT_DASHBOARD_DIR, isDashboardPath, registerDashboardRoutes } from './routes/dashboard.ts';
import { registerSearchRoutes } from './routes/search.ts';
import { registerTailRoute } from './routes/tail.ts';

export interface QueryDeps {
  store: LogStore;
  keyring: ApiKeyring;
  metrics: QueryMetrics;
  clock?: () => number;
  /** How often live tail asks the store for new records. */
  tailPollMs?: number;
  /** The dashboard build served at / (default: the repository's dashboard/dist). */
  dashboardDir?: string;
}

/** The query API and the dashboard page, encapsulated so its auth and error codes stay its own. */
export async function queryPlugin(app: FastifyInstance, deps: QueryDeps): Promise<void> {
  installErrorHandler(app, 'QUERY');
  // The dashboard page itself is public; the API calls it makes carry the key.
  installApiKeyAuth(app, deps.keyring, (url) => isOpsPath(url) || isDashboardPath(url));
  await app.register(websocket, { options: { maxPayload: 64 * 1024 } });
  app.addHook('onResponse', async (request, reply) => {
    const route = request.routeOptions.url;
    if (route?.startsWith('/api/')) deps.metrics.duration.observe({ route, status: String(reply.statusCode) }, reply.elapsedTime / 1000);
  });
  registerSearchRoutes(app, deps.store, deps.clock ?? Date.now);
  registerTailRoute(app, deps.store, deps.metrics, { pollMs: deps.tailPollMs ?? 250 });
  registerDashboardRoutes(app, { dir: deps.dashboardDir ?? DEFAULT_DASHBOARD_DIR });
}
