import Fastify, { type FastifyInstance, type FastifyReply, type FastifyServerOptions } from 'fastify';
import type { Registry } from 'prom-client';
import { installNotFoundHandler, serverOptions } from '@instant-logs/service-kit';

export interface OperatorProbes {
  /** Liveness: false gets the pod restarted (e.g. it leads but its controller is not working). */
  live: () => boolean;
  ready: () => boolean;
}

/** The operator's HTTP side: /healthz (live), /readyz and /metrics. Never listens itself. */
export function buildApp(deps: {
  registry: Registry;
  probes: OperatorProbes;
  logger?: FastifyServerOptions['logger'];
}): FastifyInstance {
  const app = Fastify(serverOptions(deps.logger));
  installNotFoundHandler(app, 'OPERATOR');
  // Not service-kit's ops routes: their /healthz is a constant, and here liveness has a meaning.
  const open = { config: { access: 'public' as const } };
  const probe = (ok: () => boolean) => async (_request: unknown, reply: FastifyReply) => {
    const up = ok();
    return reply.status(up ? 200 : 503).send({ status: up ? 'ok' : 'failing' });
  };
  app.get('/healthz', open, probe(deps.probes.live));
  app.get('/readyz', open, probe(deps.probes.ready));
  app.get('/metrics', open, async (_request, reply) =>
    reply.type(deps.registry.contentType).send(await deps.registry.metrics()),
  );
  return app;
}
