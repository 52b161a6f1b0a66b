import websocket from '@fastify/websocket';
import type { FastifyInstance } from 'fastify';
import { installApiKeyAuth, installErrorHandler, isOpsPath, type ApiKeyring } from '@instant-logs/service-kit';
import type { LogStore } from '@instant-logs/store';
import { PLACEHOLDER_HTML } from './dashboard-placeholder.ts';
import type { QueryMetrics } from './metrics.ts';
import { registerSearchRoutes } from './routes/search.ts';
import { registerTailRoute } from './routes/tail.ts';

export interface QueryDeps {
  store: LogStore;
  keyring: ApiKeyring;
  metrics: QueryMetrics;
  clock?: () => number;
  /** How often live tail asks the store for new records. */
  tailPollMs?: number;
}

/** The query API and the dashboard page, encapsulated so its auth and error codes stay its own. */
export async function queryPlugin(app: FastifyInstance, deps: QueryDeps): Promise<void> {
  installErrorHandler(app, 'QUERY');
  // The dashboard page itself is public; the API calls it makes carry the key.
  installApiKeyAuth(app, deps.keyring, (url) => isOpsPath(url) || url === '/' || url.startsWith('/?'));
  await app.register(websocket, { options: { maxPayload: 64 * 1024 } });
  app.addHook('onResponse', async (request, reply) => {
    const endpoint = request.routeOptions.url;
    if (endpoint?.startsWith('/api/')) deps.metrics.duration.observe({ endpoint, status: String(reply.statusCode) }, reply.elapsedTime / 1000);
  });
  registerSearchRoutes(app, deps.store, deps.clock ?? Date.now);
  registerTailRoute(app, deps.store, deps.metrics, { pollMs: deps.tailPollMs ?? 250 });
  app.get('/', async (_request, reply) => reply.type('text/html; charset=utf-8').send(PLACEHOLDER_HTML));
}
