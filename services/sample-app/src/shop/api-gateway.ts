import type { Level } from '@instant-logs/schema';
import { ms, type Request } from '../request.ts';

const S = 'api-gateway';

/** How long the gateway waits on an upstream before answering 504. */
export const UPSTREAM_TIMEOUT_MS = 5000;

/** Logs the access line written when the response leaves, at the request's total duration. */
export function access(
  req: Request,
  durationMs: number,
  method: string,
  path: string,
  route: string,
  status: number,
): void {
  const level: Level = status >= 500 ? 'error' : status >= 400 && status !== 404 ? 'warn' : 'info';
  req.log(S, durationMs, level, `${method} ${path} ${status} ${Math.round(durationMs)}ms`, {
    http: { method, route, status_code: status },
    duration_ms: ms(durationMs),
    region: req.region,
  });
}

/** Rarely logs a throttled client and answers 429; returns whether it did. */
export function rateLimited(req: Request, method: string, path: string, route: string): boolean {
  if (!req.rng.chance(req.incident === 'flash-sale' ? 0.03 : 0.003)) return false;
  const ip = `203.0.113.${req.rng.int(2, 254)}`;
  req.log(S, 0.3, 'warn', `Rate limit exceeded for ${ip}: ${req.rng.int(121, 400)} req/min (limit 120)`, {
    client: { ip },
  });
  access(req, 0.4, method, path, route, 429);
  return true;
}

/** Logs an upstream that did not answer in time; the caller answers 504. */
export function upstreamTimeout(req: Request, upstream: string): void {
  req.log(S, UPSTREAM_TIMEOUT_MS, 'warn', `Upstream ${upstream} timed out after ${UPSTREAM_TIMEOUT_MS}ms`, {
    upstream,
  });
}

/** During a flash sale the gateway sheds load: logs it and returns true for a share of requests. */
export function shedLoad(req: Request, method: string, path: string, route: string): boolean {
  if (req.incident !== 'flash-sale' || !req.rng.chance(0.04)) return false;
  req.log(S, 0.2, 'error', `Shedding load: ${req.rng.int(900, 1400)} in-flight requests (limit 800)`, {
    http: { route },
  });
  access(req, 0.5, method, path, route, 503);
  return true;
}
