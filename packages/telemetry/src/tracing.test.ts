import assert from 'node:assert/strict';
import { after, test } from 'node:test';
import { trace } from '@opentelemetry/api';
import { InMemorySpanExporter, SimpleSpanProcessor } from '@opentelemetry/sdk-trace';
import { resourceAttributes, startTracing } from './tracing.ts';

const spans = new InMemorySpanExporter();
// What the operator writes into a pod (operator/src/desired/telemetry.ts).
const tracing = startTracing(
  'instant-logs-query',
  {
    OTEL_SERVICE_NAME: 'instant-logs-query',
    OTEL_RESOURCE_ATTRIBUTES: 'service.namespace=logs,instant_logs.pipeline=demo',
  },
  new SimpleSpanProcessor({ exporter: spans }),
);
after(() => tracing.shutdown());

test('spans carry the resource attributes OTEL_RESOURCE_ATTRIBUTES names, besides the service name', () => {
  trace.getTracer('test').startSpan('one').end();
  const [span] = spans.getFinishedSpans();
  assert.deepEqual(span?.resource.attributes, {
    'service.namespace': 'logs',
    'instant_logs.pipeline': 'demo',
    'service.name': 'instant-logs-query',
  });
});

test('percent-encoded values are decoded and malformed pairs skipped', () => {
  assert.deepEqual(resourceAttributes('a=x%2Cy, =lost,b,c=%E0%A4%A,d= spaced '), { a: 'x,y', d: 'spaced' });
});
