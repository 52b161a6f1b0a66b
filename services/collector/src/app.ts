import Fastify, { type FastifyInstance, type FastifyServerOptions } from 'fastify';
import { Registry } from 'prom-client';
import { type ApiKeyring, installNotFoundHandler, registerOpsRoutes, serverOptions } from '@instant-logs/service-kit';
import type { LogQueue } from '@instant-logs/queue';
import { createCollectorMetrics } from './metrics.ts';
import { collectorPlugin } from './plugin.ts';

export interface CollectorAppDeps {
  queue: LogQueue;
  keyring: ApiKeyring;
  registry?: Registry;
  clock?: () => number;
  logger?: FastifyServerOptions['logger'];
}

/** The collector as a standalone HTTP app. Never listens and never reads the environment. */
export function buildApp(deps: CollectorAppDeps): FastifyInstance {
  const app = Fastify(serverOptions(deps.logger, { bodyLimit: 6 * 1024 * 1024 }));
  const registry = deps.registry ?? new Registry();
  const metrics = createCollectorMetrics(registry);
  app.register(collectorPlugin, { queue: deps.queue, keyring: deps.keyring, metrics, ...(deps.clock ? { clock: deps.clock } : {}) });
  installNotFoundHandler(app, 'COLLECTOR');
  registerOpsRoutes(app, { registry, ready: () => deps.queue.ready() });
  return app;
}
