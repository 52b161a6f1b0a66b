import type { FastifyInstance } from 'fastify';
import {
  apiRoute,
  FacetsQuery,
  HistogramQuery,
  LogSearchQuery,
  responseSchemas,
  type Facets,
} from '@instant-logs/schema';
import type { LogStore } from '@instant-logs/store';
import { parseParams, toLogFilter } from '../filters.ts';

// Parameters are parsed by the zod schemas in the handlers (coded errors naming the parameter); the answer is
// serialised by fastify from the same schemas' JSON form, which also drops any field the contract lacks.
const options = (path: string) => ({
  config: { access: 'query' as const },
  schema: { response: responseSchemas(apiRoute('GET', path)) },
});

/** GET /api/v1/logs, /api/v1/logs/histogram and /api/v1/facets, each scoped to the caller's tenant. */
export function registerSearchRoutes(app: FastifyInstance, store: LogStore, clock: () => number): void {
  app.get('/api/v1/logs', options('/api/v1/logs'), async (request) => {
    const params = parseParams(LogSearchQuery, request.query);
    const filter = toLogFilter(params, request.tenant, clock());
    const page = await store.search(filter, { limit: params.limit, cursor: params.cursor });
    return { records: page.records, next_cursor: page.nextCursor };
  });

  app.get('/api/v1/logs/histogram', options('/api/v1/logs/histogram'), async (request) => {
    const params = parseParams(HistogramQuery, request.query);
    return store.histogram(toLogFilter(params, request.tenant, clock()), params.buckets);
  });

  app.get('/api/v1/facets', options('/api/v1/facets'), async (request): Promise<Facets> => {
    const params = parseParams(FacetsQuery, request.query);
    const filter = toLogFilter(params, request.tenant, clock());
    const fields = [
      { name: 'service', field: { kind: 'service' as const } },
      { name: 'level', field: { kind: 'level' as const } },
      ...params.attribute.map((key) => ({ name: key, field: { kind: 'attribute' as const, key } })),
    ];
    const facets = await Promise.all(
      fields.map(async (f) => ({ field: f.name, values: await store.facet(filter, f.field, params.size) })),
    );
    return { facets };
  });
}
