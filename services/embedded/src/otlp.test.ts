import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { ROOT_CONTEXT, SeverityNumber, TraceFlags, trace } from '@opentelemetry/api';
import { OTLPLogExporter as JsonLogExporter } from '@opentelemetry/exporter-logs-otlp-http';
import { OTLPLogExporter as ProtoLogExporter } from '@opentelemetry/exporter-logs-otlp-proto';
import { resourceFromAttributes } from '@opentelemetry/resources';
import { BatchLogRecordProcessor, LoggerProvider, type LogRecordExporter } from '@opentelemetry/sdk-logs';
import { LogPage } from '@instant-logs/schema';
import { startTestPipeline } from './test-pipeline.ts';
import type { EmbeddedPipeline } from './app.ts';

// An application using the official OpenTelemetry JS SDK and exporters, pointed at the collector.
let p: EmbeddedPipeline;
let url: string;
before(async () => {
  p = await startTestPipeline({ apiKeys: 'otel-test-key-000001:otel-team' });
  url = await p.app.listen({ host: '127.0.0.1', port: 0 });
});
after(() => p.close());

const spanContext = {
  traceId: '5b8efff798038103d269b633813fc60c',
  spanId: 'eee19b7ec3c1b174',
  traceFlags: TraceFlags.SAMPLED,
};

async function emitWith(exporter: LogRecordExporter, marker: string): Promise<number[]> {
  const results: number[] = [];
  const recording: LogRecordExporter = {
    export: (logs, done) => exporter.export(logs, (r) => (results.push(r.code), done(r))),
    shutdown: () => exporter.shutdown(),
    forceFlush: () => exporter.forceFlush(),
  };
  const provider = new LoggerProvider({
    resource: resourceFromAttributes({ 'service.name': 'otel-shop', 'host.name': 'web-7' }),
    processors: [new BatchLogRecordProcessor({ exporter: recording })],
  });
  const logger = provider.getLogger('checkout-module', '1.2.3');
  logger.emit({
    severityNumber: SeverityNumber.ERROR,
    severityText: 'ERROR',
    body: `payment failed ${marker}`,
    attributes: { 'order.id': 'A-77', retries: 3 },
    context: trace.setSpanContext(ROOT_CONTEXT, spanContext),
  });
  logger.emit({ severityNumber: SeverityNumber.INFO, body: `order shipped ${marker}` });
  // shutdown waits for the export in flight, unlike forceFlush on some processors.
  await provider.shutdown();
  return results;
}

async function stored(marker: string) {
  const res = await p.app.inject({
    method: 'GET',
    url: `/api/v1/logs?from=now-1h&q=${marker}`,
    headers: { authorization: 'Bearer otel-test-key-000001' },
  });
  return LogPage.parse(res.json()).records;
}

for (const [name, make] of [
  ['JSON', (headers: Record<string, string>) => new JsonLogExporter({ url: `${url}/v1/logs`, headers })],
  ['protobuf', (headers: Record<string, string>) => new ProtoLogExporter({ url: `${url}/v1/logs`, headers })],
  [
    'protobuf with gzip',
    (headers: Record<string, string>) =>
      new ProtoLogExporter({ url: `${url}/v1/logs`, headers, compression: 'gzip' as never }),
  ],
] as const) {
  test(`the OpenTelemetry ${name} exporter delivers records that are stored with their fields`, async () => {
    const marker = `m${name.replace(/\W/g, '')}${Date.now()}`;
    const results = await emitWith(make({ authorization: 'Bearer otel-test-key-000001' }), marker);
    assert.deepEqual(results, [0], 'the exporter reported success');
    const records = await stored(marker);
    assert.equal(records.length, 2);
    const failed = records.find((r) => r.body.startsWith('payment failed'))!;
    assert.equal(failed.service, 'otel-shop');
    assert.equal(failed.tenant, 'otel-team');
    assert.equal(failed.level, 'error');
    assert.equal(failed.trace_id, spanContext.traceId);
    assert.equal(failed.span_id, spanContext.spanId);
    assert.equal(failed.attributes['order.id'], 'A-77');
    assert.equal(failed.attributes['retries'], '3');
    assert.equal(failed.attributes['otel.scope.name'], 'checkout-module');
    assert.equal(failed.resource['host.name'], 'web-7');
    assert.equal(records.find((r) => r.body.startsWith('order shipped'))?.level, 'info');
  });
}

test('the exporter without a key is refused and nothing is stored', async () => {
  const marker = `unauth${Date.now()}`;
  const results = await emitWith(new JsonLogExporter({ url: `${url}/v1/logs` }), marker);
  assert.deepEqual(results, [1], 'the exporter reported failure');
  assert.equal((await stored(marker)).length, 0);
});
