import Fastify, { type FastifyInstance, type FastifyServerOptions } from 'fastify';
import { Registry } from 'prom-client';
import { type ApiKeyring, installNotFoundHandler, registerOpsRoutes, serverOptions } from '@instant-logs/service-kit';
import type { LogStore } from '@instant-logs/store';
import { createQueryMetrics } from './metrics.ts';
import { queryPlugin } from './plugin.ts';

export interface QueryAppDeps {
  store: LogStore;
  keyring: ApiKeyring;
  registry?: Registry;
  clock?: () => number;
  tailPollMs?: number;
  dashboardDir?: string;
  logger?: FastifyServerOptions['logger'];
}

/** The query service as a standalone HTTP app. Never listens and never reads the environment. */
export function buildApp(deps: QueryAppDeps): FastifyInstance {
  const app = Fastify(serverOptions(deps.logger));
  const registry = deps.registry ?? new Registry();
  const { store, keyring, clock, tailPollMs, dashboardDir } = deps;
  app.register(queryPlugin, {
    store,
    keyring,
    metrics: createQueryMetrics(registry),
    ...(clock ? { clock } : {}),
    ...(tailPollMs ? { tailPollMs } : {}),
    ...(dashboardDir ? { dashboardDir } : {}),
  });
  installNotFoundHandler(app, 'QUERY');
  registerOpsRoutes(app, { registry, ready: () => store.ping().then(() => true) });
  return app;
}
