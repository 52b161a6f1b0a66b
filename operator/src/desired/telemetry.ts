import type { LogPipeline } from '@instant-logs/schema';
import type { V1EnvVar } from '@kubernetes/client-node';

/** Pure: the standard OTEL_* variables that turn on trace export in a service, when the pipeline asks for it. */
export function telemetryEnv(p: LogPipeline, component: string): V1EnvVar[] {
  const endpoint = p.spec.telemetry.otlpEndpoint;
  if (!endpoint) return [];
  return [
    { name: 'OTEL_EXPORTER_OTLP_ENDPOINT', value: endpoint },
    { name: 'OTEL_SERVICE_NAME', value: `instant-logs-${component}` },
    {
      name: 'OTEL_RESOURCE_ATTRIBUTES',
      value: `service.namespace=${p.metadata.namespace},instant_logs.pipeline=${p.metadata.name}`,
    },
  ];
}
