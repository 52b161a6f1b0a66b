import { context, SpanKind, SpanStatusCode, trace } from '@opentelemetry/api';
import type { FastifyRequest } from 'fastify';
import { extractTraceContext } from '@instant-logs/telemetry';

const tracer = trace.getTracer('instant-logs-collector');

/** Runs an ingest handler in a server span that continues the caller's trace (W3C traceparent). */
export function inIngestSpan<T>(name: string, request: FastifyRequest, handler: () => Promise<T>): Promise<T> {
  const parent = extractTraceContext(request.headers);
  const span = tracer.startSpan(
    name,
    {
      kind: SpanKind.SERVER,
      attributes: {
        'http.request.method': request.method,
        'url.path': request.url.split('?')[0] ?? '',
        'instant_logs.tenant': request.tenant,
      },
    },
    parent,
  );
  return context.with(trace.setSpan(parent, span), async () => {
    try {
      return await handler();
    } catch (err) {
      span.recordException(err as Error);
      span.setStatus({ code: SpanStatusCode.ERROR, message: (err as Error).message });
      throw err;
    } finally {
      span.end();
    }
  });
}
