import type { FastifyInstance } from 'fastify';
import type { Registry } from 'prom-client';

export interface OpsOptions {
  registry: Registry;
  /** Resolves true when the service can do its work (dependencies reachable, not draining). */
  ready: () => Promise<boolean>;
}

export const OPS_PATHS = new Set(['/healthz', '/readyz', '/metrics']);

/** Registers /healthz (alive), /readyz (able to serve) and /metrics (this app's own registry). */
export function registerOpsRoutes(app: FastifyInstance, options: OpsOptions): void {
  app.get('/healthz', async () => ({ status: 'ok' }));
  app.get('/readyz', async (_request, reply) => {
    const ready = await options.ready().catch(() => false);
    return reply.status(ready ? 200 : 503).send({ status: ready ? 'ready' : 'not ready' });
  });
  app.get('/metrics', async (_request, reply) => reply.type(options.registry.contentType).send(await options.registry.metrics()));
}

/** Pure: whether a URL is one of the unauthenticated operational endpoints. */
export function isOpsPath(url: string): boolean {
  return OPS_PATHS.has(url.split('?')[0] ?? url);
}
