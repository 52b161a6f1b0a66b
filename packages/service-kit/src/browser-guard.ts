import type { FastifyRequest } from 'fastify';
import { KIT_ERRORS } from './errors.ts';

export interface BrowserGuardOptions {
  /** No keys: any web page the developer visits could otherwise reach the server through their browser. */
  authOff: boolean;
  /** Host names served besides loopback ones while auth is off (ALLOWED_HOSTS); 'any' behind a gateway that authenticates. */
  allowedHosts: readonly string[] | 'any';
  /** Origins allowed to call cross-origin (CORS_ORIGINS); the server's own origin always is. */
  origins: readonly string[];
}

const SAFE_METHODS = new Set(['GET', 'HEAD', 'OPTIONS']);

/**
 * Throws 403 for what a hostile web page could send through a browser: with auth off, a Host that is
 * not a loopback name (DNS rebinding) and a state-changing request from a foreign Origin (CSRF); in
 * every mode, a WebSocket upgrade from a foreign Origin, since browsers apply no CORS to WebSockets.
 */
export function guardBrowserRequest(request: FastifyRequest, options: BrowserGuardOptions): void {
  const host = request.headers.host?.trim().toLowerCase();
  if (options.authOff && host !== undefined && !hostAllowed(hostName(host), options.allowedHosts)) {
    throw KIT_ERRORS.HOST_NOT_ALLOWED({ host: hostName(host).slice(0, 100), field: 'host' });
  }
  const origin = request.headers.origin;
  if (typeof origin !== 'string') return;
  const upgrade = request.headers.upgrade?.toLowerCase() === 'websocket';
  const changes = !SAFE_METHODS.has(request.method);
  if (!upgrade && !(options.authOff && changes)) return;
  if (sameOrigin(origin, host) || options.origins.some((o) => normalizeOrigin(o) === normalizeOrigin(origin))) return;
  throw KIT_ERRORS.ORIGIN_NOT_ALLOWED({ origin: origin.slice(0, 100), field: 'origin' });
}

/** Pure: the name part of a Host header value, without the port ("[::1]:8080" → "[::1]"). */
export function hostName(host: string): string {
  if (host.startsWith('[')) return host.slice(0, host.indexOf(']') + 1 || host.length);
  const colon = host.indexOf(':');
  return colon === -1 ? host : host.slice(0, colon);
}

/** Pure: whether a host name can only mean this machine. */
export function isLoopbackHost(name: string): boolean {
  return (
    name === 'localhost' ||
    name.endsWith('.localhost') ||
    name === '[::1]' ||
    /^127\.\d{1,3}\.\d{1,3}\.\d{1,3}$/.test(name)
  );
}

function hostAllowed(name: string, allowed: readonly string[] | 'any'): boolean {
  return allowed === 'any' || isLoopbackHost(name) || allowed.includes(name);
}

function sameOrigin(origin: string, host: string | undefined): boolean {
  if (host === undefined) return false;
  try {
    return new URL(origin).host === host;
  } catch {
    return false;
  }
}

/** Pure: origins compare case-insensitively and without a trailing slash, as browsers serialise them. */
export function normalizeOrigin(origin: string): string {
  return origin.trim().replace(/\/+$/, '').toLowerCase();
}
