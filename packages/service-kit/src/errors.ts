import type { FastifyError, FastifyInstance, FastifyRequest } from 'fastify';

/** What an error adds to its answer besides code and message. */
export interface ErrorExtra {
  field?: string;
  position?: number;
  headers?: Record<string, string>;
  /** Extra top-level fields of the answer, e.g. the per-record errors of an ingest request. */
  details?: Record<string, unknown>;
}

/** An error with a stable code and one HTTP status, answered as `{ error: { code, message, field, position } }`. */
export class CodedError extends Error {
  readonly statusCode: number;
  /** The code without the service prefix, as its catalog declares it. */
  readonly code: string;
  readonly field: string | undefined;
  readonly position: number | undefined;
  readonly headers: Record<string, string>;
  readonly details: Record<string, unknown>;
  constructor(statusCode: number, code: string, message: string, extra: ErrorExtra = {}) {
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

/** A coded error as plain data, to cross a thread boundary (structured clone keeps no class). */
export interface PlainCodedError {
  statusCode: number;
  code: string;
  message: string;
  extra: ErrorExtra;
}

export function plainCodedError(err: CodedError): PlainCodedError {
  const extra: ErrorExtra = { headers: err.headers, details: err.details };
  if (err.field !== undefined) extra.field = err.field;
  if (err.position !== undefined) extra.position = err.position;
  return { statusCode: err.statusCode, code: err.code, message: err.message, extra };
}

/** The same error again on this side of the boundary: a code declared by the catalog that made it there. */
export function reviveCodedError(plain: PlainCodedError): CodedError {
  return new CodedError(plain.statusCode, plain.code, plain.message, plain.extra);
}

/** One code of a catalog: its HTTP status and a message template with `{name}` placeholders. */
export interface ErrorSpec {
  readonly status: number;
  readonly message: string;
}

// `{name}` is a placeholder; braces around anything else (JSON in a message) are text, as in the runtime regex.
type Placeholders<M extends string> = M extends `${string}{${infer P}}${infer Rest}`
  ? (P extends `${string}${'"' | ' ' | ':' | '{' | '[' | '…'}${string}` ? never : P) | Placeholders<Rest>
  : never;
type FactoryArgs<M extends string> = [Placeholders<M>] extends [never]
  ? [extra?: ErrorExtra]
  : [values: { [K in Placeholders<M>]: string | number } & ErrorExtra];

/** One factory per declared code: `errors.SYNTAX({ reason, position, field: 'q' })`. */
export type ErrorFactories<S extends Record<string, ErrorSpec>> = {
  readonly [C in keyof S & string]: (...args: FactoryArgs<S[C]['message']>) => CodedError;
};

/** A service's error vocabulary: the codes it declares, plus the kit's shared ones, each once. */
export type ErrorCatalog<S extends Record<string, ErrorSpec>> = ErrorFactories<S> & {
  /** Every code this service can answer with (shared ones included), without the prefix. */
  readonly specs: Readonly<Record<string, ErrorSpec>>;
};

const EXTRA_KEYS = new Set(['field', 'position', 'headers', 'details']);

function factories<const S extends Record<string, ErrorSpec>>(specs: S): ErrorFactories<S> {
  const out: Record<string, (values?: Record<string, unknown>) => CodedError> = {};
  for (const [code, spec] of Object.entries(specs)) {
    out[code] = (values = {}) => {
      const message = spec.message.replace(/\{(\w+)\}/g, (_, name: string) => String(values[name]));
      const extra = Object.fromEntries(Object.entries(values).filter(([k]) => EXTRA_KEYS.has(k))) as ErrorExtra;
      return new CodedError(spec.status, code, message, extra);
    };
  }
  return Object.freeze(out) as unknown as ErrorFactories<S>;
}

// Codes every HTTP service shares: fastify's own refusals and the kit's auth, CORS and browser guards.
const KIT_SPECS = {
  BAD_REQUEST: { status: 400, message: '{reason}' },
  INVALID_JSON: { status: 400, message: 'body is not valid JSON: {reason}' },
  UNAUTHORIZED: { status: 401, message: '{reason}' },
  FORBIDDEN: { status: 403, message: '{reason}' },
  HOST_NOT_ALLOWED: {
    status: 403,
    message:
      'host {host} is not served with authentication off: use a loopback address, set ALLOWED_HOSTS, or configure API keys',
  },
  ORIGIN_NOT_ALLOWED: {
    status: 403,
    message: 'origin {origin} may not call this server from a browser: add it to CORS_ORIGINS',
  },
  CORS_ORIGIN_DENIED: {
    status: 403,
    message: 'this origin may not call the API from a browser: add it to CORS_ORIGINS',
  },
  NOT_FOUND: { status: 404, message: '{reason}' },
  METHOD_NOT_ALLOWED: { status: 405, message: '{method} is not allowed on {path}; use {allowed}' },
  PAYLOAD_TOO_LARGE: { status: 413, message: '{what} exceeds the limit of {limit} bytes' },
  UNSUPPORTED_MEDIA_TYPE: {
    status: 415,
    message: 'Content-Type "{type}" is not accepted here; send one of: {accepted}',
  },
  UPGRADE_REQUIRED: {
    status: 426,
    message: '{path} is a WebSocket endpoint: connect with an Upgrade: websocket request',
  },
  INTERNAL: { status: 500, message: 'internal error; see the service log' },
} as const satisfies Record<string, ErrorSpec>;

/** The shared codes, for the kit's own guards (auth, CORS, hosts) and for routes that need one of them. */
export const KIT_ERRORS = factories(KIT_SPECS);

/**
 * Declares a service's codes once, each with its status and message template (fastify's `createError` way).
 * A code the kit already declares is refused: one code, one status, one meaning.
 */
export function defineErrors<const S extends Record<string, ErrorSpec>>(specs: S): ErrorCatalog<S> {
  for (const code of Object.keys(specs)) {
    if (code in KIT_SPECS) throw new Error(`error code ${code} is already declared by service-kit`);
    if (!/^[A-Z][A-Z0-9_]*$/.test(code)) throw new Error(`error code ${code} must be UPPER_SNAKE_CASE`);
  }
  return Object.freeze({ ...factories(specs), specs: Object.freeze({ ...KIT_SPECS, ...specs }) }) as ErrorCatalog<S>;
}

/** Pure: the `error` object of an answer, its code prefixed once with the service's name. */
export function errorBody(
  err: CodedError,
  prefix: string,
): { code: string; message: string; field?: string; position?: number } {
  return {
    code: `${prefix}_${err.code}`,
    message: err.message,
    ...(err.field !== undefined ? { field: err.field } : {}),
    ...(err.position !== undefined ? { position: err.position } : {}),
  };
}

export interface ErrorHandlerOptions {
  /** The content types this scope's parsers take, listed in a 415. */
  mediaTypes: readonly string[];
  /** Maps the service's domain errors (a query syntax error, a bad cursor) onto its catalog; others unchanged. */
  mapError?: (err: unknown) => unknown;
}

/** Pure: maps domain errors and fastify's own refusals onto coded errors; undefined for a fault of the server. */
export function toCodedError(
  raw: FastifyError | Error,
  request: FastifyRequest,
  options: ErrorHandlerOptions,
): CodedError | undefined {
  const err = (options.mapError?.(raw) ?? raw) as FastifyError | Error;
  if (err instanceof CodedError) return err;
  switch ((err as FastifyError).code) {
    case 'FST_ERR_CTP_BODY_TOO_LARGE':
      return KIT_ERRORS.PAYLOAD_TOO_LARGE({ what: 'request body', limit: request.routeOptions.bodyLimit ?? 0 });
    case 'FST_ERR_CTP_INVALID_MEDIA_TYPE':
      return KIT_ERRORS.UNSUPPORTED_MEDIA_TYPE({
        type: String(request.headers['content-type'] ?? '').slice(0, 100),
        accepted: options.mediaTypes.join(', '),
        field: 'Content-Type',
        headers: { 'accept-post': options.mediaTypes.join(', ') },
      });
    case 'FST_ERR_CTP_INVALID_JSON_BODY':
      return KIT_ERRORS.INVALID_JSON({ reason: err.message });
  }
  const status = (err as FastifyError).statusCode;
  if (status !== undefined && status >= 400 && status < 500) return KIT_ERRORS.BAD_REQUEST({ reason: err.message });
  return undefined;
}

// What a scope that keeps fastify's own parsers takes.
const FASTIFY_DEFAULT_TYPES: ErrorHandlerOptions = { mediaTypes: ['application/json', 'text/plain'] };

/** Installs the one error handler of a plugin scope: every failure becomes the coded JSON shape of its catalog. */
export function installErrorHandler(
  app: FastifyInstance,
  prefix: string,
  options: ErrorHandlerOptions = FASTIFY_DEFAULT_TYPES,
): void {
  app.setErrorHandler((err: FastifyError | CodedError, request, reply) => {
    const coded = toCodedError(err, request, options);
    if (!coded) {
      request.log.error({ err }, 'Request failed');
      return reply.status(500).send({ error: errorBody(KIT_ERRORS.INTERNAL(), prefix) });
    }
    for (const [k, v] of Object.entries(coded.headers)) reply.header(k, v);
    return reply.status(coded.statusCode).send({ ...coded.details, error: errorBody(coded, prefix) });
  });
}

/**
 * Installs the not-found answer in the same coded shape; once per server, at its root. A known path asked
 * with another method gets 405 with `Allow` instead (RFC 9110 §15.5.6).
 */
export function installNotFoundHandler(app: FastifyInstance, prefix: string): void {
  app.setNotFoundHandler((request, reply) => {
    const path = request.url.split('?')[0]!;
    const allowed = allowedMethods(app, path);
    if (allowed.length > 0) {
      const err = KIT_ERRORS.METHOD_NOT_ALLOWED({ method: request.method, path, allowed: allowed.join(', ') });
      return reply
        .status(405)
        .header('allow', allowed.join(', '))
        .send({ error: errorBody(err, prefix) });
    }
    return reply
      .status(404)
      .send({ error: errorBody(KIT_ERRORS.NOT_FOUND({ reason: `no route for ${request.method} ${path}` }), prefix) });
  });
}

const METHODS = ['GET', 'HEAD', 'POST', 'PUT', 'PATCH', 'DELETE', 'OPTIONS'] as const;

// OPTIONS is left out: the CORS preflight answers it where CORS is on, and it says nothing about the resource.
function allowedMethods(app: FastifyInstance, path: string): string[] {
  return METHODS.filter((method) => method !== 'OPTIONS' && app.hasRoute({ method, url: path }));
}
