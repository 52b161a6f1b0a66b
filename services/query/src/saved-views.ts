import { randomBytes } from 'node:crypto';
import type { FastifyInstance } from 'fastify';
import {
  apiRoute,
  parseTimeExpression,
  responseSchemas,
  SavedIdParams,
  SavedViewInput,
  type ApiRoute,
  type SavedView,
} from '@instant-logs/schema';
import type { SavedObject, SavedObjectStore } from '@instant-logs/store';
import { QUERY_ERRORS } from './errors.ts';
import { parseParams } from './filters.ts';
import { viewLink } from './dashboard-link.ts';
import { parseQuery } from '@instant-logs/query-language';

/** Pure: a new id for a saved object: 128 random bits, URL-safe. */
export function newSavedId(): string {
  return randomBytes(16).toString('base64url');
}

/**
 * Route options from the route's declaration in packages/schema: its access and response schema; `audit`
 * names the action of a change, recorded in the tenant's audit trail like the admin API's.
 */
export function declared(method: ApiRoute['method'], path: string, audit?: string) {
  const route = apiRoute(method, path);
  return {
    config: { access: route.access, ...(audit ? { audit } : {}) },
    schema: { response: responseSchemas(route) },
  };
}

/** Refuses a search a view or rule could not run: a bad time or query syntax is a 400 naming the field. */
export function checkSearch(input: { q: string; from?: string; to?: string }, nowMs: number): void {
  for (const field of ['from', 'to'] as const) {
    const value = input[field];
    if (value !== undefined && parseTimeExpression(value, nowMs) === undefined)
      throw QUERY_ERRORS.INVALID_TIME({ field, value: value.slice(0, 64) });
  }
  parseQuery(input.q);
}

/** Pure: a stored view as the API answers it; undefined for one this build cannot read. */
function toView(o: SavedObject): SavedView | undefined {
  const parsed = SavedViewInput.safeParse({ ...JSON.parse(o.body), name: o.name });
  if (!parsed.success) return undefined;
  return {
    ...parsed.data,
    id: o.id,
    created_at: new Date(o.createdAt).toISOString(),
    updated_at: new Date(o.updatedAt).toISOString(),
    url: viewLink(o.id),
  };
}

/** GET/POST /api/v1/views and GET/PUT/DELETE /api/v1/views/:id, in the caller's tenant. */
export function registerSavedViewRoutes(app: FastifyInstance, store: SavedObjectStore, clock: () => number): void {
  const find = async (tenant: string, rawId: unknown) => {
    const { id } = parseParams(SavedIdParams, rawId, 'id');
    const found = await store.get(tenant, 'view', id);
    if (!found) throw QUERY_ERRORS.VIEW_NOT_FOUND({ id: JSON.stringify(id.slice(0, 64)), field: 'id' });
    return found;
  };
  const save = async (tenant: string, rawBody: unknown, existing?: SavedObject) => {
    const { name, ...state } = parseParams(SavedViewInput, rawBody ?? {}, '(body)');
    const now = clock();
    checkSearch(state, now);
    const object: SavedObject = {
      id: existing?.id ?? newSavedId(),
      name,
      body: JSON.stringify(state),
      createdAt: existing?.createdAt ?? now,
      updatedAt: now,
    };
    await store.put(tenant, 'view', object);
    return toView(object)!;
  };

  app.get('/api/v1/views', declared('GET', '/api/v1/views'), async (request) => ({
    views: (await store.list(request.tenant, 'view')).flatMap((o) => toView(o) ?? []),
  }));
  app.post('/api/v1/views', declared('POST', '/api/v1/views', 'views.create'), async (request, reply) => {
    reply.status(201);
    return save(request.tenant, request.body);
  });
  app.get('/api/v1/views/:id', declared('GET', '/api/v1/views/:id'), async (request) => {
    const found = await find(request.tenant, request.params);
    const view = toView(found);
    // Saved by a build whose fields this one does not read: as good as absent.
    if (!view) throw QUERY_ERRORS.VIEW_NOT_FOUND({ id: JSON.stringify(found.id), field: 'id' });
    return view;
  });
  app.put('/api/v1/views/:id', declared('PUT', '/api/v1/views/:id', 'views.update'), async (request) =>
    save(request.tenant, request.body, await find(request.tenant, request.params)),
  );
  app.delete('/api/v1/views/:id', declared('DELETE', '/api/v1/views/:id', 'views.delete'), async (request, reply) => {
    const { id } = await find(request.tenant, request.params);
    await store.remove(request.tenant, 'view', id);
    return reply.status(204).send();
  });
}
