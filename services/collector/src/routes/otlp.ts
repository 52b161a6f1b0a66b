import type { FastifyInstance, FastifyReply } from 'fastify';
import { CodedError } from '@instant-logs/service-kit';
import { acceptRecords, type AcceptDeps } from '../accept.ts';
import { decompress } from '../decode-body.ts';
import { inIngestSpan } from '../tracing.ts';
import { idempotently } from './idempotently.ts';
import { decodeOtlpLogs, OtlpDecodeError } from '../otlp/decode.ts';
import { encodeExportLogsResponse, encodeOtlpStatus } from '../otlp/response.ts';

// google.rpc.Code for each HTTP status we answer with, as OTLP clients expect in the Status body.
const RPC_CODES: Record<number, number> = { 400: 3, 401: 16, 413: 8, 415: 3, 422: 3, 429: 8, 500: 13, 503: 14 };

/**
 * POST /v1/logs: OTLP/HTTP logs in JSON or protobuf, so OpenTelemetry SDK exporters can point here.
 * Records the collector refuses are reported as partial success, as the OTLP spec asks. An Idempotency-Key
 * header makes a retry of a stored export get its first answer, stored once (see idempotently).
 */
export function registerOtlpRoute(app: FastifyInstance, deps: AcceptDeps): void {
  app.post('/v1/logs', { config: { access: 'ingest' } }, (request, reply) =>
    inIngestSpan('ingest otlp logs', request, async () => {
      const started = performance.now();
      const contentType = request.headers['content-type'] ?? '';
      try {
        const body = Buffer.isBuffer(request.body) ? request.body : Buffer.alloc(0);
        const { records } = decodeOtlpLogs(await decompress(body, request.headers['content-encoding']), contentType);
        const { response: result, replayed } = await idempotently(request, deps, 'otlp', body, (claim) =>
          acceptRecords(
            records.map((record) => ({ record })),
            request.tenant,
            deps,
            undefined,
            claim,
          ),
        );
        if (!replayed) deps.metrics.ackSeconds.observe({ route: 'otlp' }, (performance.now() - started) / 1000);
        else reply.header('idempotent-replayed', 'true');
        const first = result.errors[0];
        const partial = first
          ? {
              rejectedLogRecords: result.rejected,
              errorMessage: `${result.rejected} log records rejected; first: record ${first.index}, ${first.field} ${first.message}`,
            }
          : undefined;
        const answer = encodeExportLogsResponse(contentType, partial);
        return reply.status(200).type(answer.contentType).send(answer.body);
      } catch (err) {
        if (err instanceof OtlpDecodeError) return sendStatus(reply, contentType, err.statusCode, err.message, {});
        if (err instanceof CodedError) return sendStatus(reply, contentType, err.statusCode, err.message, err.headers);
        throw err;
      }
    }),
  );
}

function sendStatus(
  reply: FastifyReply,
  contentType: string,
  status: number,
  message: string,
  headers: Record<string, string>,
) {
  const answer = encodeOtlpStatus(contentType, { code: RPC_CODES[status] ?? 2, message });
  for (const [k, v] of Object.entries(headers)) reply.header(k, v);
  return reply.status(status).type(answer.contentType).send(answer.body);
}
