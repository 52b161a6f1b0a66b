import type { ServerOptions } from 'node:http';
import type { Socket } from 'node:net';
import type { FastifyServerOptions } from 'fastify';
import { z } from 'zod';

/** How long a client may take; every limit closes the connection when it passes. */
export interface HttpTimeouts {
  /** From connecting (or the previous response) to the end of the request headers. */
  headersMs: number;
  /** From connecting to the end of the request body: a body deadline, so a stalled or trickled upload gets 408. */
  requestMs: number;
  /** An idle keep-alive connection between requests. */
  keepAliveMs: number;
}

export const DEFAULT_HTTP_TIMEOUTS: Readonly<HttpTimeouts> = Object.freeze({
  headersMs: 10_000,
  requestMs: 60_000,
  keepAliveMs: 65_000,
});

/** The timeouts' environment, shared by every HTTP service. */
export const HttpTimeoutEnv = {
  HTTP_HEADERS_TIMEOUT_MS: z.coerce.number().int().min(100).default(DEFAULT_HTTP_TIMEOUTS.headersMs),
  HTTP_REQUEST_TIMEOUT_MS: z.coerce.number().int().min(100).default(DEFAULT_HTTP_TIMEOUTS.requestMs),
  HTTP_KEEP_ALIVE_TIMEOUT_MS: z.coerce.number().int().min(100).default(DEFAULT_HTTP_TIMEOUTS.keepAliveMs),
};

/** Pure: timeouts from the parsed environment. */
export function httpTimeoutsFromEnv(c: {
  HTTP_HEADERS_TIMEOUT_MS: number;
  HTTP_REQUEST_TIMEOUT_MS: number;
  HTTP_KEEP_ALIVE_TIMEOUT_MS: number;
}): HttpTimeouts {
  return {
    headersMs: c.HTTP_HEADERS_TIMEOUT_MS,
    requestMs: c.HTTP_REQUEST_TIMEOUT_MS,
    keepAliveMs: c.HTTP_KEEP_ALIVE_TIMEOUT_MS,
  };
}

/** Pure: fastify options enforcing `timeouts` (defaults for what is not given), with timeouts answered in the coded shape. */
export function timeoutServerOptions(
  given: Partial<HttpTimeouts> = {},
): FastifyServerOptions & { http: ServerOptions } {
  const t = { ...DEFAULT_HTTP_TIMEOUTS, ...given };
  // Node needs headers ≤ request, and checks both only every connectionsCheckingInterval (30 s by default).
  const headersMs = Math.min(t.headersMs, t.requestMs);
  const checkEveryMs = Math.max(25, Math.min(1_000, Math.floor(headersMs / 4)));
  return {
    requestTimeout: t.requestMs,
    keepAliveTimeout: t.keepAliveMs,
    http: { headersTimeout: headersMs, requestTimeout: t.requestMs, connectionsCheckingInterval: checkEveryMs },
    clientErrorHandler: answerClientError,
  };
}

// Replaces fastify's default so a timed-out client gets the same { error: { code, message } } as any other error.
function answerClientError(err: NodeJS.ErrnoException, socket: Socket): void {
  if (err.code === 'ECONNRESET' || socket.destroyed) return;
  const [status, reason, code, message] =
    err.code === 'ERR_HTTP_REQUEST_TIMEOUT'
      ? [
          408,
          'Request Timeout',
          'HTTP_REQUEST_TIMEOUT',
          'the request did not arrive in time (HTTP_HEADERS_TIMEOUT_MS, HTTP_REQUEST_TIMEOUT_MS)',
        ]
      : err.code === 'HPE_HEADER_OVERFLOW'
        ? [431, 'Request Header Fields Too Large', 'HTTP_HEADERS_TOO_LARGE', 'the request headers are too large']
        : [400, 'Bad Request', 'HTTP_BAD_REQUEST', 'the request is not valid HTTP'];
  const body = JSON.stringify({ error: { code, message } });
  if (!socket.writable) return void socket.destroy();
  // end() flushes the answer before closing; destroy() then drops a client that keeps its side open.
  const head = `HTTP/1.1 ${status} ${reason}\r\nContent-Type: application/json\r\nContent-Length: ${Buffer.byteLength(body)}\r\nConnection: close`;
  socket.end(`${head}\r\n\r\n${body}`, () => socket.destroy());
}
