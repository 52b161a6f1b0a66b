import type { LogPipeline } from '@instant-logs/schema';
import type { KubeObject } from '../kube/client.ts';
import type { DesiredContext } from './context.ts';
import { PIPELINE_LABEL } from './labels.ts';
import { namesOf } from './names.ts';
import { objectMeta } from './owner.ts';
import { tlsEnabled } from './tls.ts';

// The components whose Services serve /metrics on their `http` port (ClickHouse's do not).
const SCRAPED = ['collector', 'processor', 'query', 'dashboard'];

/** Pure: a ServiceMonitor over the pipeline's Services when the Prometheus Operator is installed. */
export function monitoring(p: LogPipeline, ctx: DesiredContext): KubeObject[] {
  if (!ctx.capabilities.prometheusOperator) return [];
  return [
    {
      apiVersion: 'monitoring.coreos.com/v1',
      kind: 'ServiceMonitor',
      metadata: objectMeta(p, namesOf(p).monitor, 'monitoring'),
      spec: {
        selector: {
          matchLabels: { [PIPELINE_LABEL]: p.metadata.name },
          matchExpressions: [{ key: 'app.kubernetes.io/component', operator: 'In', values: SCRAPED }],
        },
        endpoints: [
          { port: 'http', path: '/metrics' },
          // With TLS the collector's, query's and dashboard's Service ports are named https. The operator cannot know the
          // names the certificate is issued for, so Prometheus is not asked to check them: it reads only metrics.
          ...(tlsEnabled(p)
            ? [{ port: 'https', path: '/metrics', scheme: 'https', tlsConfig: { insecureSkipVerify: true } }]
            : []),
        ],
      },
    },
  ];
}
