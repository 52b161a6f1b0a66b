import Fastify, { type FastifyInstance, type FastifyServerOptions } from 'fastify';
import type { Registry } from 'prom-client';
import { installNotFoundHandler, registerOpsRoutes, serverOptions } from '@instant-logs/service-kit';

export interface ProcessorAppDeps {
  registry: Registry;
  ready: () => Promise<boolean>;
  logger?: FastifyServerOptions['logger'];
}

/** The processor's HTTP side: health and metrics only. Never listens and never reads the environment. */
export function buildApp(deps: ProcessorAppDeps): FastifyInstance {
  const app = Fastify(serverOptions(deps.logger));
  installNotFoundHandler(app, 'PROCESSOR');
  registerOpsRoutes(app, { registry: deps.registry, ready: deps.ready });
  return app;
}
