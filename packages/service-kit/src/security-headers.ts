import type { FastifyInstance, FastifyRequest } from 'fastify';

export interface SecurityHeaderOptions {
  /** Send Strict-Transport-Security; only behind HTTPS, or browsers pin a scheme the server lacks. */
  hsts?: boolean;
}

// A host header is echoed into the policy only when it looks like host[:port]: nothing else may reach a header.
const HOST = /^[A-Za-z0-9.-]+(:\d{1,5})?$|^\[[0-9A-Fa-f:.]+\](:\d{1,5})?$/;

/**
 * Pure: the Content-Security-Policy for the dashboard. Scripts and styles come from the page's own
 * /assets; 'unsafe-inline' styles stay because ECharts writes tooltip markup with style attributes
 * and the not-built page carries an inline <style>. Live tail opens a WebSocket to the same host.
 */
export function contentSecurityPolicy(host: string | undefined): string {
  const sockets = host && HOST.test(host) ? ` ws://${host} wss://${host}` : '';
  return [
    "default-src 'self'",
    "script-src 'self'",
    "style-src 'self' 'unsafe-inline'",
    "img-src 'self' data:",
    "font-src 'self'",
    `connect-src 'self'${sockets}`,
    "frame-ancestors 'none'",
    "base-uri 'none'",
    "form-action 'self'",
    "object-src 'none'",
  ].join('; ');
}

/** Adds the browser-hardening headers to every response of this scope, errors included. */
export function installSecurityHeaders(app: FastifyInstance, options: SecurityHeaderOptions = {}): void {
  const fixed: Record<string, string> = {
    'x-content-type-options': 'nosniff',
    'referrer-policy': 'no-referrer',
    'x-frame-options': 'DENY',
    'cross-origin-opener-policy': 'same-origin',
  };
  if (options.hsts) fixed['strict-transport-security'] = 'max-age=31536000; includeSubDomains';
  // onSend rather than onRequest: it also runs for answers made by the error handler.
  app.addHook('onSend', async (request: FastifyRequest, reply, payload) => {
    reply.headers(fixed);
    reply.header('content-security-policy', contentSecurityPolicy(request.headers.host));
    return payload;
  });
}
