import { createHash, timingSafeEqual } from 'node:crypto';
import type { TLSSocket } from 'node:tls';
import type { FastifyInstance, FastifyRequest } from 'fastify';
import { TENANT_NAME } from '@instant-logs/schema';
import { guardBrowserRequest } from './browser-guard.ts';
import { KIT_ERRORS, type CodedError } from './errors.ts';
import type { TailTickets } from './tail-tickets.ts';
import './route-access.ts';

export type Scope = 'ingest' | 'query' | 'admin';

export const ALL_SCOPES: ReadonlySet<Scope> = new Set<Scope>(['ingest', 'query', 'admin']);

/** Who a request acts as; `id` is safe to log (a key id or `cert:<CN>`), never a secret. */
export interface Principal {
  tenant: string;
  scopes: ReadonlySet<Scope>;
  id: string;
}

/** Turns a presented key into the principal it stands for; keys themselves are kept only as digests. */
export interface ApiKeyring {
  readonly enabled: boolean;
  authenticate(presented: string): Principal | undefined;
}

export interface AuthOptions {
  /** Let a verified TLS client certificate stand in for a key: tenant = subject CN, scope ingest. */
  clientCertificates?: boolean;
  /** Verifies the tickets that routes with `config.ticket` accept in place of a key. */
  tickets?: TailTickets;
  /** Origins allowed to call cross-origin (CORS_ORIGINS); also allowed to open WebSockets. */
  origins?: readonly string[];
  /** Host names served besides loopback ones while auth is off (ALLOWED_HOSTS); 'any' behind a gateway that authenticates. */
  allowedHosts?: readonly string[] | 'any';
}

export const DEFAULT_TENANT = 'default';
export const TENANT_PATTERN = TENANT_NAME;
const DEFAULT_SCOPES: ReadonlySet<Scope> = new Set<Scope>(['ingest', 'query']);
const SCOPE_NAMES: readonly string[] = [...ALL_SCOPES];

// Dev mode acts with every scope; a public path under auth acts with none.
const DEV_PRINCIPAL: Principal = Object.freeze({ tenant: DEFAULT_TENANT, scopes: ALL_SCOPES, id: 'anonymous' });
const PUBLIC_PRINCIPAL: Principal = Object.freeze({
  tenant: DEFAULT_TENANT,
  scopes: new Set<Scope>(),
  id: 'anonymous',
});

/** Pure: SHA-256 of a key or token, the only form in which keys are kept. */
export function sha256(text: string): Buffer {
  return createHash('sha256').update(text).digest();
}

/** Constant time for equal-length digests, so a near miss takes as long as a far one. */
export function sameDigest(a: Buffer, b: Buffer): boolean {
  return a.length === b.length && timingSafeEqual(a, b);
}

/** Pure: parses "a+b" or ["a","b"] into scopes; throws naming the unknown scope. */
export function parseScopes(spec: string | readonly string[]): ReadonlySet<Scope> {
  const names =
    typeof spec === 'string'
      ? spec
          .split(/[+,]/)
          .map((s) => s.trim())
          .filter(Boolean)
      : spec;
  for (const name of names) {
    if (!SCOPE_NAMES.includes(name)) throw new Error(`Unknown scope "${name}": use ${SCOPE_NAMES.join(', ')}`);
  }
  if (names.length === 0) throw new Error('A key needs at least one scope');
  return new Set(names as Scope[]);
}

/**
 * Pure: parses API_KEYS, "key:tenant:ingest+query+admin,key2:tenant2,key3" (a key without a tenant acts
 * for the default tenant; without scopes it may ingest and query).
 */
export function parseApiKeys(spec: string): ApiKeyring {
  const entries: { digest: Buffer; principal: Principal }[] = [];
  for (const entry of spec
    .split(',')
    .map((s) => s.trim())
    .filter(Boolean)) {
    const [key = '', tenant = DEFAULT_TENANT, scopes, extra] = entry.split(':');
    if (key.length < 16) throw new Error('API keys must be at least 16 characters long');
    if (!TENANT_PATTERN.test(tenant))
      throw new Error(`Invalid tenant "${tenant}" in API_KEYS: use letters, digits, "_" or "-"`);
    if (extra !== undefined) throw new Error('Invalid API_KEYS entry: use key:tenant or key:tenant:scope+scope');
    const digest = sha256(key);
    // A digest prefix names the key in logs without revealing it.
    const id = `key:${digest.toString('hex').slice(0, 12)}`;
    entries.push({
      digest,
      principal: { tenant, scopes: scopes === undefined ? DEFAULT_SCOPES : parseScopes(scopes), id },
    });
  }
  return {
    enabled: entries.length > 0,
    authenticate(presented) {
      const digest = sha256(presented);
      let found: Principal | undefined;
      // No early exit: every entry is compared, so timing does not tell how many keys were tried.
      for (const entry of entries) if (sameDigest(entry.digest, digest)) found ??= entry.principal;
      return found;
    },
  };
}

declare module 'fastify' {
  interface FastifyRequest {
    tenant: string;
    principal: Principal;
  }
}

/**
 * Authenticates every request of this scope against the access its route declares (config.access, read
 * from what the router matched, never from the URL), sets request.tenant and request.principal, and answers
 * 401 (no or unknown credentials, or a key in the URL) or 403 (missing scope, foreign Host or Origin).
 */
export function installApiKeyAuth(app: FastifyInstance, keyring: ApiKeyring, options: AuthOptions = {}): void {
  if (!app.hasRequestDecorator('tenant')) app.decorateRequest('tenant', DEFAULT_TENANT);
  if (!app.hasRequestDecorator('principal')) app.decorateRequest('principal', null as unknown as Principal);
  const authOff = !keyring.enabled && !options.clientCertificates;
  const hosts = options.allowedHosts ?? [];
  const guard = {
    authOff,
    allowedHosts: hosts === 'any' ? hosts : hosts.map((h) => h.toLowerCase()),
    origins: options.origins ?? [],
  };
  app.addHook('onRequest', async (request: FastifyRequest) => {
    guardBrowserRequest(request, guard);
    if (authOff) return setPrincipal(request, DEV_PRINCIPAL);
    if (keyInUrl(request))
      throw unauthorized(
        'API keys are not accepted in URLs, where proxies and browsers record them: send "Authorization: Bearer <key>"',
      );
    const { access, ticket } = request.routeOptions.config;
    if (access === 'public') return setPrincipal(request, PUBLIC_PRINCIPAL);
    // A route outside createServer's declared-access check must still fail closed.
    if (access === undefined) throw KIT_ERRORS.FORBIDDEN({ reason: 'this route declares no access' });
    const principal =
      (ticket ? ticketPrincipal(request, options.tickets) : undefined) ??
      authenticate(request, keyring, options.clientCertificates === true);
    // Named before the scope check, so a refused attempt is attributed to the key's own tenant.
    setPrincipal(request, principal);
    if (!principal.scopes.has(access)) {
      throw KIT_ERRORS.FORBIDDEN({
        reason: `${principal.id} lacks the "${access}" scope this endpoint needs`,
        details: { scope: access },
      });
    }
  });
}

function setPrincipal(request: FastifyRequest, principal: Principal): void {
  request.principal = principal;
  request.tenant = principal.tenant;
}

function authenticate(request: FastifyRequest, keyring: ApiKeyring, certificates: boolean): Principal {
  const candidates = presentedKeys(request);
  // A key wins over the certificate, so one mTLS client may still act for another tenant by key.
  if (candidates.length > 0) {
    for (const key of candidates) {
      const principal = keyring.authenticate(key);
      if (principal) return principal;
    }
    throw unauthorized('unknown API key');
  }
  const cert = certificates ? certificatePrincipal(request) : undefined;
  if (cert) return cert;
  throw unauthorized('missing API key: send "Authorization: Bearer <key>"');
}

// Query parameters that have carried keys in other tools; the query string is read whatever the route.
const KEY_PARAMS = ['api_key', 'apikey', 'access_token'];

function keyInUrl(request: FastifyRequest): boolean {
  const query = request.query as Record<string, unknown> | undefined;
  return query !== undefined && query !== null && KEY_PARAMS.some((name) => query[name] !== undefined);
}

function ticketPrincipal(request: FastifyRequest, tickets: TailTickets | undefined): Principal | undefined {
  const ticket = (request.query as Record<string, unknown> | undefined)?.['ticket'];
  if (ticket === undefined) return undefined;
  const principal = typeof ticket === 'string' ? tickets?.redeem(ticket) : undefined;
  if (!principal)
    throw unauthorized('invalid, expired or already used tail ticket: get a new one from POST /api/v1/tail/ticket');
  return principal;
}

function unauthorized(message: string): CodedError {
  return KIT_ERRORS.UNAUTHORIZED({ reason: message, headers: { 'www-authenticate': 'Bearer' } });
}

/** The keys a request carries in its headers, in the forms log shippers send them; an ApiKey header may yield two readings. */
export function presentedKeys(request: Pick<FastifyRequest, 'headers'>): string[] {
  const header = request.headers.authorization?.trim();
  if (header) {
    const space = header.indexOf(' ');
    const scheme = space === -1 ? '' : header.slice(0, space).toLowerCase();
    const value = header.slice(space + 1).trim();
    if (scheme === 'bearer' && value) return [value];
    // Elasticsearch clients send base64("id:api_key"); a raw key is accepted too.
    if (scheme === 'apikey' && value) return [...afterColon(decodeBase64(value)), value];
    // Loki, Grafana and Filebeat put the key in the Basic password; the user name is ignored.
    if (scheme === 'basic' && value) return afterColon(decodeBase64(value));
  }
  const alt = request.headers['x-api-key'];
  return typeof alt === 'string' && alt.trim() ? [alt.trim()] : [];
}

function decodeBase64(value: string): string | undefined {
  if (!/^[A-Za-z0-9+/]+={0,2}$/.test(value) || value.length % 4 !== 0) return undefined;
  const text = Buffer.from(value, 'base64').toString('utf8');
  return /^[\x20-\x7e]+$/.test(text) ? text : undefined;
}

function afterColon(text: string | undefined): string[] {
  const colon = text?.indexOf(':') ?? -1;
  const key = colon === -1 ? '' : text!.slice(colon + 1);
  return key ? [key] : [];
}

/**
 * The subject CN of a TLS peer whose certificate the server verified ('' when it names none), or
 * undefined when the connection has no verified certificate (plain TCP, none sent, untrusted).
 */
export function verifiedCommonName(socket: unknown): string | undefined {
  const peer = socket as Partial<TLSSocket>;
  if (peer.authorized !== true || typeof peer.getPeerCertificate !== 'function') return undefined;
  const cn = peer.getPeerCertificate().subject?.CN;
  const name = Array.isArray(cn) ? cn[0] : cn;
  return typeof name === 'string' ? name : '';
}

function certificatePrincipal(request: FastifyRequest): Principal | undefined {
  const name = verifiedCommonName(request.raw.socket);
  if (name === undefined) return undefined;
  if (!TENANT_PATTERN.test(name)) {
    throw unauthorized('client certificate subject CN is not a valid tenant name: use letters, digits, "_" or "-"');
  }
  return { tenant: name, scopes: new Set<Scope>(['ingest']), id: `cert:${name}` };
}

/**
 * Throws when authentication is off and the service would listen beyond loopback, unless the
 * deployment said so explicitly (ALLOW_UNAUTHENTICATED=true, e.g. behind its own gateway).
 */
export function assertSafeToListen(
  keyring: ApiKeyring,
  host: string,
  allowUnauthenticated = false,
  clientCertificates = false,
): void {
  if (keyring.enabled || clientCertificates || allowUnauthenticated || ['127.0.0.1', 'localhost', '::1'].includes(host))
    return;
  throw new Error(
    `Refusing to listen on ${host} with authentication off: set API_KEYS, API_KEYS_FILE, HOST=127.0.0.1, or ALLOW_UNAUTHENTICATED=true`,
  );
}
