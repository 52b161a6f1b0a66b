import Fastify, { LogController, type FastifyInstance, type FastifyRequest, type FastifyServerOptions } from 'fastify';
import { requireDeclaredAccess } from './route-access.ts';
import type { HttpsServerOptions } from './tls.ts';

// Where a request's credentials could sit in a log line; pino replaces them before writing.
const SECRET_PATHS = [
  'req.headers.authorization',
  'req.headers["x-api-key"]',
  'req.headers.cookie',
  'headers.authorization',
  'headers["x-api-key"]',
  'headers.cookie',
  'res.headers["set-cookie"]',
];
const SECRET_QUERY_PARAMS = /([?&](?:api_key|apikey|token|access_token|ticket)=)[^&#]*/gi;

/** Pure: the URL with the values of credential-carrying query parameters (live tail's ticket, keys sent by mistake) masked. */
export function maskSecretsInUrl(url: string): string {
  return url.replace(SECRET_QUERY_PARAMS, '$1[redacted]');
}

// Replaces fastify's request serializer: the same fields, with the URL masked.
function serializeRequest(req: FastifyRequest) {
  return {
    method: req.method,
    url: maskSecretsInUrl(req.url),
    host: req.host,
    remoteAddress: req.ip,
    remotePort: req.socket?.remotePort,
  };
}

/** Pure: the logger options with secret redaction added; false stays false. */
export function redactingLogger(logger: FastifyServerOptions['logger'] | undefined): FastifyServerOptions['logger'] {
  if (!logger) return false;
  const base = logger === true ? {} : logger;
  const theirs = base.redact === undefined ? [] : Array.isArray(base.redact) ? base.redact : base.redact.paths;
  return {
    ...base,
    redact: { paths: [...SECRET_PATHS, ...theirs], censor: '[redacted]' },
    // Ours last: a caller's req serializer must not bring the raw URL back.
    serializers: { ...base.serializers, req: serializeRequest },
  };
}

/**
 * Pure: fastify options every service shares. Per-request log lines are off: an ingest service
 * would otherwise log more about itself than about its users; errors are still logged, without
 * the API keys, cookies or api_key query parameters of the request.
 */
export function serverOptions(
  logger: FastifyServerOptions['logger'] | undefined,
  extra: FastifyServerOptions = {},
): FastifyServerOptions {
  return {
    logger: redactingLogger(logger),
    logController: new LogController({ disableRequestLogging: true }),
    ...extra,
  };
}

/** A fastify app with the shared options, serving HTTPS when TLS options are given; typed alike so apps need not care. */
export function createServer(
  logger: FastifyServerOptions['logger'] | undefined,
  extra: FastifyServerOptions = {},
  https?: HttpsServerOptions,
): FastifyInstance {
  // fastify types an HTTPS app apart from an HTTP one; the routes and hooks are the same.
  const httpsFastify = Fastify as unknown as (
    options: FastifyServerOptions & { https: HttpsServerOptions },
  ) => FastifyInstance;
  // https.createServer takes the HTTP server's options (headers and request timeouts) with the TLS ones.
  const app = https
    ? httpsFastify({ ...serverOptions(logger, extra), https: { ...(extra as { http?: object }).http, ...https } })
    : Fastify(serverOptions(logger, extra));
  requireDeclaredAccess(app);
  // An upgrade request answered with anything but 101 (a refusal, a 404) has left HTTP's connection handling,
  // so nothing else would ever close its socket; a successful upgrade is hijacked and never gets here.
  app.addHook('onResponse', async (request) => {
    if (request.headers.upgrade !== undefined) request.raw.socket?.destroy();
  });
  return app;
}
