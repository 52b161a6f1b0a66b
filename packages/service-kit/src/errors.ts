import type { FastifyError, FastifyInstance } from 'fastify';

/** An error with a stable code and one HTTP status, answered as `{ error: { code, message, field } }`. */
export class CodedError extends Error {
  readonly statusCode: number;
  readonly code: string;
  readonly field: string | undefined;
  readonly position: number | undefined;
  readonly headers: Record<string, string>;
  /** Extra top-level fields of the answer, e.g. the per-record errors of an ingest request. */
  readonly details: Record<string, unknown>;
  constructor(
    statusCode: number,
    code: string,
    message: string,
    extra: { field?: string; position?: number; headers?: Record<string, string>; details?: Record<string, unknown> } = {},
  ) {
    super(message);
    this.name = 'CodedError';
    this.statusCode = statusCode;
    this.code = code;
    this.field = extra.field;
    this.position = extra.position;
    this.headers = extra.headers ?? {};
    this.details = extra.details ?? {};
  }
}

// fastify's own errors (body too large, bad content type, JSON syntax) mapped onto stable codes.
const FASTIFY_CODES: Record<string, { status: number; code: string }> = {
  FST_ERR_CTP_BODY_TOO_LARGE: { status: 413, code: 'PAYLOAD_TOO_LARGE' },
  FST_ERR_CTP_INVALID_MEDIA_TYPE: { status: 415, code: 'UNSUPPORTED_MEDIA_TYPE' },
  FST_ERR_CTP_INVALID_CONTENT_LENGTH: { status: 400, code: 'BAD_REQUEST' },
  FST_ERR_CTP_EMPTY_JSON_BODY: { status: 400, code: 'BAD_REQUEST' },
  FST_ERR_CTP_INVALID_JSON_BODY: { status: 400, code: 'INVALID_JSON' },
  FST_ERR_VALIDATION: { status: 400, code: 'BAD_REQUEST' },
};

/** Installs the error handler that turns every failure in this plugin scope into the coded JSON shape. */
export function installErrorHandler(app: FastifyInstance, prefix: string): void {
  app.setErrorHandler((err: FastifyError | CodedError, request, reply) => {
    if (err instanceof CodedError) {
      for (const [k, v] of Object.entries(err.headers)) reply.header(k, v);
      return reply.status(err.statusCode).send({ ...err.details, error: { code: `${prefix}_${err.code}`, message: err.message, field: err.field, position: err.position } });
    }
    const known = FASTIFY_CODES[err.code];
    if (known) return reply.status(known.status).send({ error: { code: `${prefix}_${known.code}`, message: err.message } });
    if (err.statusCode && err.statusCode >= 400 && err.statusCode < 500) {
      return reply.status(err.statusCode).send({ error: { code: `${prefix}_BAD_REQUEST`, message: err.message } });
    }
    request.log.error({ err }, 'Request failed');
    return reply.status(500).send({ error: { code: `${prefix}_INTERNAL`, message: 'internal error; see the service log' } });
  });
}

/** Installs the not-found answer in the same coded shape; once per server, at its root. */
export function installNotFoundHandler(app: FastifyInstance, prefix: string): void {
  app.setNotFoundHandler((request, reply) =>
    reply.status(404).send({ error: { code: `${prefix}_NOT_FOUND`, message: `no route for ${request.method} ${request.url.split('?')[0]}` } }),
  );
}
