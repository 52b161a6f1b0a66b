import { context, propagation, trace } from '@opentelemetry/api';
import { AsyncLocalStorageContextManager } from '@opentelemetry/context-async-hooks';
import { W3CTraceContextPropagator } from '@opentelemetry/core';
import { OTLPTraceExporter } from '@opentelemetry/exporter-trace-otlp-http';
import { resourceFromAttributes } from '@opentelemetry/resources';
import { BatchSpanProcessor, TracerProvider, type SpanProcessor } from '@opentelemetry/sdk-trace';

/** Stops tracing after exporting what is buffered. */
export interface Tracing {
  shutdown(): Promise<void>;
}

/**
 * Registers a global tracer provider, the W3C trace-context propagator and an async context manager.
 * Spans are exported over OTLP/HTTP when OTEL_EXPORTER_OTLP_ENDPOINT (or …_TRACES_ENDPOINT) is set;
 * `processor` replaces that exporter (tests pass an in-memory one). Called once, from a main.
 */
export function startTracing(serviceName: string, env: NodeJS.ProcessEnv, processor?: SpanProcessor): Tracing {
  context.setGlobalContextManager(new AsyncLocalStorageContextManager().enable());
  propagation.setGlobalPropagator(new W3CTraceContextPropagator());
  const endpoint = env['OTEL_EXPORTER_OTLP_TRACES_ENDPOINT'] ?? env['OTEL_EXPORTER_OTLP_ENDPOINT'];
  const processors = processor
    ? [processor]
    : endpoint && env['OTEL_SDK_DISABLED'] !== 'true'
      ? [new BatchSpanProcessor({ exporter: new OTLPTraceExporter() })]
      : [];
  const provider = new TracerProvider({
    resource: resourceFromAttributes({
      ...resourceAttributes(env['OTEL_RESOURCE_ATTRIBUTES']),
      'service.name': env['OTEL_SERVICE_NAME'] ?? serviceName,
    }),
    spanProcessors: processors,
  });
  trace.setGlobalTracerProvider(provider);
  return { shutdown: () => provider.shutdown() };
}

/**
 * Pure: OTEL_RESOURCE_ATTRIBUTES (`key=value,key2=value2`, values percent-encoded) as attributes; a malformed
 * pair is skipped, as the OpenTelemetry spec asks. The operator sets it to name each pod's namespace and pipeline.
 */
export function resourceAttributes(text: string | undefined): Record<string, string> {
  const out: Record<string, string> = {};
  for (const pair of (text ?? '').split(',')) {
    const eq = pair.indexOf('=');
    const key = pair.slice(0, Math.max(eq, 0)).trim();
    if (!key) continue;
    try {
      out[key] = decodeURIComponent(pair.slice(eq + 1).trim());
    } catch {
      // A bad percent-escape: skip the pair.
    }
  }
  return out;
}
