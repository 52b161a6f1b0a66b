import type { FastifyInstance } from 'fastify';
import type { Registry } from 'prom-client';

export interface OpsOptions {
  registry: Registry;
  /** Resolves true when the service can do its work (dependencies reachable, not draining). */
  ready: () => Promise<boolean>;
}

/** Registers /healthz (alive), /readyz (able to serve) and /metrics (this app's own registry). */
export function registerOpsRoutes(app: FastifyInstance, options: OpsOptions): void {
  const open = { config: { access: 'public' as const } };
  app.get('/healthz', open, async () => ({ status: 'ok' }));
  app.get('/readyz', open, async (_request, reply) => {
    const ready = await options.ready().catch(() => false);
    return reply.status(ready ? 200 : 503).send({ status: ready ? 'ready' : 'not ready' });
  });
  app.get('/metrics', open, async (_request, reply) =>
    reply.type(options.registry.contentType).send(await options.registry.metrics()),
  );
}
