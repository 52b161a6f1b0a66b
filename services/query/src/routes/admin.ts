import type { FastifyError, FastifyInstance, FastifyRequest } from 'fastify';
import { apiRoute, DeleteRequest, responseSchemas } from '@instant-logs/schema';
import type { QueryNode } from '@instant-logs/query-language';
import { AUDIT_SERVICE, CodedError, type AuditLog } from '@instant-logs/service-kit';
import type { LogStore } from '@instant-logs/store';
import { QUERY_ERRORS, toQueryError } from '../errors.ts';
import { parseParams, toLogFilter } from '../filters.ts';

const ADMIN_PREFIX = '/api/v1/admin/';

export interface AdminDeps {
  store: LogStore;
  audit: AuditLog;
  clock: () => number;
}

// The delete API never erases the audit trail that records it; retention still ages it out.
const NOT_AUDIT: QueryNode = { kind: 'not', child: { kind: 'phrase', field: 'service', text: AUDIT_SERVICE } };

/** The caller's key id, safe to log; 'anonymous' when auth refused the request before naming anyone. */
function principalOf(request: FastifyRequest): string {
  return request.principal?.id ?? 'anonymous';
}

// What a handler learnt about its own request, for the audit record its answer triggers.
const notes = new WeakMap<FastifyRequest, { params?: Record<string, unknown>; detail?: string; error?: string }>();

function note(
  request: FastifyRequest,
  fields: { params?: Record<string, unknown>; detail?: string; error?: string },
): void {
  notes.set(request, { ...notes.get(request), ...fields });
}

/** GET /api/v1/admin/usage and POST /api/v1/admin/delete, scoped to the caller's tenant; each call is audited by auditAdminRequests. */
export function registerAdminRoutes(app: FastifyInstance, deps: AdminDeps): void {
  const schema = (method: 'GET' | 'POST', path: string) => ({ response: responseSchemas(apiRoute(method, path)) });
  app.get(
    `${ADMIN_PREFIX}usage`,
    { config: { access: 'admin', audit: 'admin.usage' }, schema: schema('GET', `${ADMIN_PREFIX}usage`) },
    async (request) => {
      const services = await deps.store.usage(request.tenant);
      note(request, { detail: `${services.length} services` });
      return { services };
    },
  );

  app.post(
    `${ADMIN_PREFIX}delete`,
    { config: { access: 'admin', audit: 'admin.delete' }, schema: schema('POST', `${ADMIN_PREFIX}delete`) },
    async (request) => {
      const raw = request.body && typeof request.body === 'object' ? (request.body as Record<string, unknown>) : {};
      note(request, { params: { q: raw['q'], from: raw['from'], to: raw['to'] } });
      const { q = '', from, to } = parseParams(DeleteRequest, request.body ?? {}, '(body)');
      // A typo must not wipe a tenant: deleting everything takes an explicit from: "0".
      if (!q.trim() && from === undefined && to === undefined) {
        throw QUERY_ERRORS.DELETE_UNBOUNDED({ field: 'from' });
      }
      const filter = toLogFilter(
        { q, from: from ?? '0', to: to ?? 'now', service: [], level: [] },
        request.tenant,
        deps.clock(),
      );
      const query: QueryNode = filter.query ? { kind: 'and', children: [filter.query, NOT_AUDIT] } : NOT_AUDIT;
      const { deleted } = await deps.store.deleteLogs({ ...filter, query });
      note(request, { detail: `deleted ${deleted} records` });
      return { deleted };
    },
  );
}

/**
 * Audits every request that reached a route declaring `config.audit` — allowed, refused by auth, invalid
 * or failed — before its answer leaves: in the acting key's tenant, or only the service log when no key
 * was recognised (a stranger cannot write into a tenant).
 */
export function auditAdminRequests(app: FastifyInstance, audit: AuditLog): void {
  app.addHook('onError', async (request, _reply, err) => {
    if (request.routeOptions.config.audit) note(request, { error: describeError(err) });
  });
  app.addHook('onSend', async (request, reply, payload) => {
    const action = request.routeOptions.config.audit;
    if (!action) return payload;
    const status = reply.statusCode;
    const seen = notes.get(request) ?? {};
    await audit.record({
      action,
      principal: principalOf(request),
      tenant: request.principal && status !== 401 ? request.principal.tenant : null,
      route: `${request.method} ${request.routeOptions.url ?? ''}`,
      status,
      client: request.ip,
      params: seen.params ?? {},
      outcome: status < 400 ? 'ok' : 'error',
      ...(status < 400 ? (seen.detail ? { detail: seen.detail } : {}) : { detail: seen.error ?? `HTTP ${status}` }),
    });
    return payload;
  });
}

function describeError(raw: FastifyError | Error): string {
  const err = toQueryError(raw);
  if (err instanceof CodedError) return `${err.code}: ${err.message}`;
  const status = (raw as FastifyError).statusCode;
  return status !== undefined && status < 500
    ? `${(raw as FastifyError).code ?? 'BAD_REQUEST'}: ${raw.message}`
    : 'internal error';
}
