import type { FastifyInstance } from 'fastify';
import { apiRoute, PatternsQuery, responseSchemas, type Patterns } from '@instant-logs/schema';
import type { LogStore } from '@instant-logs/store';
import { parseParams, toLogFilter } from '../filters.ts';
import { summarizePatterns } from '../patterns/summarize.ts';

/** GET /api/v1/patterns: the newest matching records of the caller's tenant, grouped into templates. */
export function registerPatternsRoute(app: FastifyInstance, store: LogStore, clock: () => number): void {
  app.get(
    '/api/v1/patterns',
    {
      config: { access: 'query' as const },
      schema: { response: responseSchemas(apiRoute('GET', '/api/v1/patterns')) },
    },
    async (request): Promise<Patterns> => {
      const params = parseParams(PatternsQuery, request.query);
      const filter = toLogFilter(params, request.tenant, clock());
      const { total, messages } = await store.sampleMessages(filter, params.sample);
      return summarizePatterns({
        messages,
        total,
        fromMs: Number(filter.fromNs / 1_000_000n),
        toMs: Number(filter.toNs / 1_000_000n),
        buckets: params.buckets,
        limit: params.limit,
      });
    },
  );
}
