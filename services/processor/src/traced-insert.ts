import { SpanKind, SpanStatusCode, trace } from '@opentelemetry/api';
import type { LogStore } from '@instant-logs/store';
import { linksFrom } from '@instant-logs/telemetry';

const tracer = trace.getTracer('instant-logs-processor');

/** Inserts under a span that links to the trace of every request whose records the batch holds. */
export async function tracedInsert(
  store: LogStore,
  data: Buffer,
  token: string,
  sources: readonly { rows: number; trace?: Record<string, string> }[],
  attributes: Record<string, string> = {},
): Promise<void> {
  const rows = sources.reduce((n, m) => n + m.rows, 0);
  const span = tracer.startSpan('insert logs', {
    kind: SpanKind.CONSUMER,
    links: linksFrom(sources.map((m) => m.trace)),
    attributes: { ...attributes, 'db.system.name': 'clickhouse', 'instant_logs.rows': rows },
  });
  try {
    await store.insert(data, { dedupToken: token });
  } catch (err) {
    span.setStatus({ code: SpanStatusCode.ERROR, message: (err as Error).message });
    throw err;
  } finally {
    span.end();
  }
}
