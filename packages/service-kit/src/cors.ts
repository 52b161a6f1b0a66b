import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import { normalizeOrigin } from './browser-guard.ts';
import { KIT_ERRORS } from './errors.ts';

export interface CorsOptions {
  /** Exact origins (scheme://host[:port]) that may call this service from a browser; empty = CORS off. */
  origins: readonly string[];
}

const ALLOWED_HEADERS = 'Authorization, Content-Type, X-API-Key, Content-Encoding, Idempotency-Key';
const ALLOWED_METHODS = 'GET, POST, OPTIONS';
// Shippers and the dashboard read these on a 429/503; a browser hides every other header.
const EXPOSED_HEADERS = 'Retry-After';

/**
 * Lets the listed origins call the routes of this scope from a browser: answers their preflights
 * and marks their responses. With no origins it installs nothing at all. Keys travel in the
 * Authorization header, never cookies, so credentials are not allowed and `*` is never sent.
 */
export function installCors(app: FastifyInstance, options: CorsOptions): void {
  const allowed = new Set(options.origins.map(normalizeOrigin));
  if (allowed.size === 0) return;

  // A preflight for a path that has no OPTIONS route would reach the server's 404 handler and skip
  // this scope's hooks, so every route registered here from now on gets an OPTIONS twin.
  app.addHook('onRoute', (route) => {
    const methods = Array.isArray(route.method) ? route.method : [route.method];
    if (methods.includes('OPTIONS') || route.url.includes('*')) return;
    if (app.hasRoute({ method: 'OPTIONS', url: route.url })) return;
    // routePath: this scope adds its own prefix again.
    app.options(route.routePath, { config: { access: 'public' } }, async () => {
      throw KIT_ERRORS.BAD_REQUEST({
        reason: 'OPTIONS is only answered as a CORS preflight (with Origin and Access-Control-Request-Method)',
      });
    });
  });

  app.addHook('onRequest', async (request: FastifyRequest, reply: FastifyReply) => {
    const origin = request.headers.origin;
    if (typeof origin !== 'string') return;
    // Caches must keep one answer per origin: the headers below differ by it.
    reply.header('vary', 'Origin');
    const ok = allowed.has(normalizeOrigin(origin));
    const preflight = request.method === 'OPTIONS' && request.headers['access-control-request-method'] !== undefined;
    if (!ok) {
      if (preflight) throw KIT_ERRORS.CORS_ORIGIN_DENIED({ field: 'origin' });
      return;
    }
    reply.header('access-control-allow-origin', origin);
    if (!preflight) {
      reply.header('access-control-expose-headers', EXPOSED_HEADERS);
      return;
    }
    reply
      .header('access-control-allow-methods', ALLOWED_METHODS)
      .header('access-control-allow-headers', ALLOWED_HEADERS)
      .header('access-control-max-age', '600')
      .code(204)
      .send();
    return reply;
  });
}
