import { createHash } from 'node:crypto';
import type { FastifyInstance, FastifyRequest } from 'fastify';
import { CodedError } from './errors.ts';

/** Keys are kept only as SHA-256 digests, mapped to the tenant they act for. */
export interface ApiKeyring {
  readonly enabled: boolean;
  tenantFor(key: string): string | undefined;
}

export const DEFAULT_TENANT = 'default';

/** Pure: parses "key1:tenantA,key2" (a key without a tenant acts for the default tenant). */
export function parseApiKeys(spec: string): ApiKeyring {
  const byDigest = new Map<string, string>();
  for (const entry of spec.split(',').map((s) => s.trim()).filter(Boolean)) {
    const colon = entry.indexOf(':');
    const key = colon === -1 ? entry : entry.slice(0, colon);
    const tenant = colon === -1 ? DEFAULT_TENANT : entry.slice(colon + 1);
    if (key.length < 16) throw new Error('API keys must be at least 16 characters long');
    if (!/^[A-Za-z0-9_-]{1,64}$/.test(tenant)) throw new Error(`Invalid tenant "${tenant}" in API_KEYS: use letters, digits, "_" or "-"`);
    byDigest.set(digest(key), tenant);
  }
  return { enabled: byDigest.size > 0, tenantFor: (key) => byDigest.get(digest(key)) };
}

function digest(key: string): string {
  return createHash('sha256').update(key).digest('hex');
}

declare module 'fastify' {
  interface FastifyRequest {
    tenant: string;
  }
}

/** Reads a bearer token (or the X-API-Key header shippers use) and sets request.tenant; 401 otherwise. */
export function installApiKeyAuth(app: FastifyInstance, keyring: ApiKeyring, isPublic: (url: string) => boolean): void {
  app.decorateRequest('tenant', DEFAULT_TENANT);
  if (!keyring.enabled) return;
  app.addHook('onRequest', async (request: FastifyRequest) => {
    if (isPublic(request.url)) return;
    const key = presentedKey(request);
    if (!key) throw new CodedError(401, 'UNAUTHORIZED', 'missing API key: send "Authorization: Bearer <key>"', { headers: { 'www-authenticate': 'Bearer' } });
    const tenant = keyring.tenantFor(key);
    if (!tenant) throw new CodedError(401, 'UNAUTHORIZED', 'unknown API key', { headers: { 'www-authenticate': 'Bearer' } });
    request.tenant = tenant;
  });
}

function presentedKey(request: FastifyRequest): string | undefined {
  const header = request.headers.authorization;
  if (header?.startsWith('Bearer ')) return header.slice(7).trim();
  const alt = request.headers['x-api-key'];
  if (typeof alt === 'string') return alt.trim();
  // Browsers cannot set headers on a WebSocket upgrade, so live tail may carry the key in the query.
  const q = request.query as Record<string, unknown> | undefined;
  return typeof q?.['api_key'] === 'string' ? q['api_key'] : undefined;
}

/**
 * Throws when authentication is off and the service would listen beyond loopback, unless the
 * deployment said so explicitly (ALLOW_UNAUTHENTICATED=true, e.g. behind its own gateway).
 */
export function assertSafeToListen(keyring: ApiKeyring, host: string, allowUnauthenticated = false): void {
  if (keyring.enabled || allowUnauthenticated || ['127.0.0.1', 'localhost', '::1'].includes(host)) return;
  throw new Error(`Refusing to listen on ${host} with authentication off: set API_KEYS, HOST=127.0.0.1, or ALLOW_UNAUTHENTICATED=true`);
}
