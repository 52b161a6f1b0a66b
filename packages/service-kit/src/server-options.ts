import { LogController, type FastifyServerOptions } from 'fastify';

/**
 * Pure: fastify options every service shares. Per-request log lines are off: an ingest service
 * would otherwise log more about itself than about its users; errors are still logged.
 */
export function serverOptions(logger: FastifyServerOptions['logger'] | undefined, extra: FastifyServerOptions = {}): FastifyServerOptions {
  return { logger: logger ?? false, logController: new LogController({ disableRequestLogging: true }), ...extra };
}
