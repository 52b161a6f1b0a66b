import type { FastifyInstance } from 'fastify';
import { CodedError } from '@instant-logs/service-kit';
import { COLLECTOR_ERRORS } from '../errors.ts';
import { acceptRecords, type AcceptDeps } from '../accept.ts';
import { decodePush } from '../loki/decode.ts';
import { describeRejections, mapPush } from '../loki/map.ts';
import { inIngestSpan } from '../tracing.ts';
import { idempotently } from './idempotently.ts';

/**
 * POST /loki/api/v1/push: Grafana Loki's push API (snappy protobuf or JSON), so Promtail, Alloy and Loki
 * client libraries can ship here. Answers as Loki does: 204 with no body, errors as plain text. An
 * Idempotency-Key header makes a retry of a stored push get its first answer, stored once (see idempotently).
 */
export function registerLokiRoute(app: FastifyInstance, deps: AcceptDeps): void {
  app.post('/loki/api/v1/push', { config: { access: 'ingest' } }, (request, reply) =>
    inIngestSpan('ingest loki push', request, async () => {
      const started = performance.now();
      try {
        if (!Buffer.isBuffer(request.body)) throw COLLECTOR_ERRORS.EMPTY({ reason: 'the request has no body' });
        const push = await decodePush(
          request.body,
          request.headers['content-type'],
          request.headers['content-encoding'],
        );
        const { items, where } = mapPush(push);
        const { response: result, replayed } = await idempotently(request, deps, 'loki', request.body, (claim) =>
          acceptRecords(items, request.tenant, deps, undefined, claim),
        );
        if (!replayed) deps.metrics.ackSeconds.observe({ route: 'loki' }, (performance.now() - started) / 1000);
        else reply.header('idempotent-replayed', 'true');
        if (result.rejected === 0) return reply.status(204).send();
        // The good entries are already stored. Loki clients treat a 4xx as final and never retry it, so
        // answering 400 reports the dropped entries without causing the stored ones to be sent twice.
        return reply
          .status(400)
          .type('text/plain; charset=utf-8')
          .send(describeRejections(items.length, result.rejected, result.errors, where));
      } catch (err) {
        if (!(err instanceof CodedError)) throw err;
        // 429 and 503 keep their Retry-After: Loki clients retry those with backoff.
        return reply.status(err.statusCode).headers(err.headers).type('text/plain; charset=utf-8').send(err.message);
      }
    }),
  );
}
