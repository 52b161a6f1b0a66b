import Fastify, { type FastifyInstance, type FastifyServerOptions } from 'fastify';
import type { Registry } from 'prom-client';
import { installNotFoundHandler, registerOpsRoutes, serverOptions } from '@instant-logs/service-kit';

/** The operator's HTTP side: /healthz, /readyz (informers synced) and /metrics. Never listens itself. */
export function buildApp(deps: { registry: Registry; ready: () => Promise<boolean>; logger?: FastifyServerOptions['logger'] }): FastifyInstance {
  const app = Fastify(serverOptions(deps.logger));
  installNotFoundHandler(app, 'OPERATOR');
  registerOpsRoutes(app, { registry: deps.registry, ready: deps.ready });
  return app;
}
