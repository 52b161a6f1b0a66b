import type { FastifyInstance } from 'fastify';
import { FacetsQuery, HistogramQuery, LogSearchQuery, type Facets } from '@instant-logs/schema';
import { CodedError } from '@instant-logs/service-kit';
import { InvalidCursorError, type LogStore } from '@instant-logs/store';
import { parseParams, toLogFilter } from '../filters.ts';

/** GET /api/v1/logs, /api/v1/logs/histogram and /api/v1/facets, each scoped to the caller's tenant. */
export function registerSearchRoutes(app: FastifyInstance, store: LogStore, clock: () => number): void {
  app.get('/api/v1/logs', async (request) => {
    const params = parseParams(LogSearchQuery, request.query);
    const filter = toLogFilter(params, request.tenant, clock());
    try {
      const page = await store.search(filter, { limit: params.limit, cursor: params.cursor });
      return { records: page.records, next_cursor: page.nextCursor };
    } catch (err) {
      if (err instanceof InvalidCursorError) throw new CodedError(400, 'BAD_REQUEST', `cursor: ${err.message}`, { field: 'cursor' });
      throw err;
    }
  });

  app.get('/api/v1/logs/histogram', async (request) => {
    const params = parseParams(HistogramQuery, request.query);
    return store.histogram(toLogFilter(params, request.tenant, clock()), params.buckets);
  });

  app.get('/api/v1/facets', async (request): Promise<Facets> => {
    const params = parseParams(FacetsQuery, request.query);
    const filter = toLogFilter(params, request.tenant, clock());
    const fields = [
      { name: 'service', field: { kind: 'service' as const } },
      { name: 'level', field: { kind: 'level' as const } },
      ...params.attribute.map((key) => ({ name: key, field: { kind: 'attribute' as const, key } })),
    ];
    const facets = await Promise.all(fields.map(async (f) => ({ field: f.name, values: await store.facet(filter, f.field, params.size) })));
    return { facets };
  });
}
