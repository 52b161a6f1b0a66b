import type { FastifyInstance } from 'fastify';
import { COLLECTOR_ERRORS } from '../errors.ts';
import { acceptBody, acceptRecords, type AcceptDeps } from '../accept.ts';
import { decodeBody } from '../decode-body.ts';
import { inIngestSpan } from '../tracing.ts';
import { idempotently } from './idempotently.ts';

const NDJSON_TYPES = new Set([
  'application/x-ndjson',
  'application/jsonl',
  'application/json-lines',
  'application/ndjson',
]);

/**
 * POST /api/v1/logs: a JSON object, a JSON array or NDJSON, optionally gzip/zstd/deflate encoded. With
 * an Idempotency-Key, a retry of a request that was stored gets the first answer again, stored once.
 */
export function registerIngestRoute(app: FastifyInstance, deps: AcceptDeps): void {
  app.post('/api/v1/logs', { config: { access: 'ingest' } }, (request, reply) =>
    inIngestSpan('ingest logs', request, async () => {
      const started = performance.now();
      const body = request.body;
      if (!Buffer.isBuffer(body)) throw COLLECTOR_ERRORS.EMPTY({ reason: 'the request has no body' });
      const { response: result, replayed } = await idempotently(request, deps, 'logs', body, async (claim) => {
        const type = (request.headers['content-type'] ?? '').split(';')[0]!.trim().toLowerCase();
        const contentEncoding = request.headers['content-encoding'];
        if (deps.ingestThreads) {
          const job = {
            body,
            contentEncoding,
            ndjson: NDJSON_TYPES.has(type),
            tenant: request.tenant,
            receivedMs: deps.clock(),
          };
          return acceptBody(job, deps.ingestThreads, deps, claim);
        }
        const items = await decodeBody(body, contentEncoding, NDJSON_TYPES.has(type));
        return acceptRecords(items, request.tenant, deps, undefined, claim);
      });
      if (replayed) return reply.status(202).header('idempotent-replayed', 'true').send(result);
      if (result.accepted === 0) {
        const first = result.errors[0]!;
        throw COLLECTOR_ERRORS.INVALID_RECORDS({
          index: first.index,
          reason: first.message,
          field: first.field,
          details: result,
        });
      }
      deps.metrics.ackSeconds.observe({ route: 'logs' }, (performance.now() - started) / 1000);
      return reply.status(202).send(result);
    }),
  );
}
