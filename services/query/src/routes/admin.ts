import type { FastifyInstance, FastifyRequest } from 'fastify';
import { z } from 'zod';
import type { QueryNode } from '@instant-logs/query-language';
import { AUDIT_SERVICE, CodedError, type AuditLog } from '@instant-logs/service-kit';
import type { LogStore } from '@instant-logs/store';
import { asClientError, toLogFilter } from '../filters.ts';

export const ADMIN_PREFIX = '/api/v1/admin/';

export interface AdminDeps {
  store: LogStore;
  audit: AuditLog;
  clock: () => number;
}

const DeleteRequest = z.strictObject({
  q: z.string().max(4096).optional(),
  from: z.string().max(64).optional(),
  to: z.string().max(64).optional(),
});

// The delete API never erases the audit trail that records it; retention still ages it out.
const NOT_AUDIT: QueryNode = { kind: 'not', child: { kind: 'phrase', field: 'service', text: AUDIT_SERVICE } };

// Audit actions by route, so a refused request is named like an allowed one.
const ACTIONS: Record<string, string> = {
  [`${ADMIN_PREFIX}usage`]: 'admin.usage',
  [`${ADMIN_PREFIX}delete`]: 'admin.delete',
};

/** The caller's key id, safe to log; 'anonymous' when auth refused the request before naming anyone. */
export function principalOf(request: FastifyRequest): string {
  return request.principal?.id ?? 'anonymous';
}

/** GET /api/v1/admin/usage and POST /api/v1/admin/delete, scoped to the caller's tenant; each call is audited. */
export function registerAdminRoutes(app: FastifyInstance, deps: AdminDeps): void {
  const audited = async <T>(request: FastifyRequest, params: Record<string, unknown>, run: () => Promise<{ result: T; detail?: string }>): Promise<T> => {
    const base = { action: ACTIONS[request.routeOptions.url ?? ''] ?? 'admin.unknown', principal: principalOf(request), tenant: request.tenant, params };
    try {
      const { result, detail } = await run();
      await deps.audit.record({ ...base, outcome: 'ok', ...(detail ? { detail } : {}) });
      return result;
    } catch (err) {
      const client = asClientError(err);
      const detail = client instanceof CodedError ? `${client.code}: ${client.message}` : 'internal error';
      await deps.audit.record({ ...base, outcome: 'error', detail });
      throw client;
    }
  };

  app.get(`${ADMIN_PREFIX}usage`, async (request) =>
    audited(request, {}, async () => {
      const services = await deps.store.usage(request.tenant);
      return { result: { services }, detail: `${services.length} services` };
    }),
  );

  app.post(`${ADMIN_PREFIX}delete`, async (request) => {
    const parsed = DeleteRequest.safeParse(request.body ?? {});
    const raw = request.body && typeof request.body === 'object' ? (request.body as Record<string, unknown>) : {};
    return audited(request, { q: raw['q'], from: raw['from'], to: raw['to'] }, async () => {
      if (!parsed.success) {
        const issue = parsed.error.issues[0]!;
        const field = issue.path.map(String).join('.') || '(body)';
        throw new CodedError(400, 'BAD_REQUEST', `${field}: ${issue.message}`, { field });
      }
      const { q = '', from, to } = parsed.data;
      // A typo must not wipe a tenant: deleting everything takes an explicit from: "0".
      if (!q.trim() && from === undefined && to === undefined) {
        throw new CodedError(400, 'DELETE_UNBOUNDED', 'from: a delete needs a time range (from, to) or a query (q); send from: "0" to mean all time', { field: 'from' });
      }
      const filter = toLogFilter({ q, from: from ?? '0', to: to ?? 'now', service: [], level: [] }, request.tenant, deps.clock());
      const query: QueryNode = filter.query ? { kind: 'and', children: [filter.query, NOT_AUDIT] } : NOT_AUDIT;
      const { deleted } = await deps.store.deleteLogs({ ...filter, query });
      return { result: { deleted }, detail: `deleted ${deleted} records` };
    });
  });
}

/** Audits admin requests that auth refused (401/403) before any route ran. */
export function auditRefusedAdminRequests(app: FastifyInstance, audit: AuditLog): void {
  app.addHook('onResponse', async (request, reply) => {
    if (!request.url.startsWith(ADMIN_PREFIX) || (reply.statusCode !== 401 && reply.statusCode !== 403)) return;
    await audit.record({
      action: ACTIONS[request.routeOptions.url ?? ''] ?? 'admin.unknown',
      principal: principalOf(request),
      // Without a valid key there is no tenant to write into: the service log keeps it.
      tenant: reply.statusCode === 401 ? null : request.tenant,
      params: { method: request.method, path: request.url.split('?')[0] },
      outcome: 'error',
      detail: reply.statusCode === 401 ? 'refused: not authenticated' : 'refused: missing the admin scope',
    });
  });
}
