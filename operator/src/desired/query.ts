import type { LogPipeline } from '@instant-logs/schema';
import type { KubeObject } from '../kube/client.ts';
import { clickhouseCredentialsEnv } from './clickhouse.ts';
import { apiKeysEnv } from './collector.ts';
import { PORTS } from './context.ts';
import { namesOf } from './names.ts';
import { sharedSettingsEnv } from './pipeline-config.ts';
import { container, podSpec, podTemplate } from './pod.ts';
import { deployment, service } from './workload.ts';
import { telemetryEnv } from './telemetry.ts';

/** Pure: the query service's Deployment and Service, or nothing when query.enabled is false. */
export function query(p: LogPipeline): KubeObject[] {
  const { enabled, replicas, resources } = p.spec.query;
  if (!enabled) return [];
  const name = namesOf(p).query;
  const shared = sharedSettingsEnv(p);
  const main = container(p, {
    name: 'query',
    image: p.spec.images.query,
    resources,
    port: PORTS.query,
    envFrom: shared.envFrom,
    // The collector's API keys: a key reads the logs of the tenant it writes.
    env: [{ name: 'HOST', value: '0.0.0.0' }, { name: 'PORT', value: String(PORTS.query) }, ...clickhouseCredentialsEnv(p), ...apiKeysEnv(p), ...telemetryEnv(p, 'query')],
  });
  return [
    deployment(p, name, 'query', podTemplate(p, 'query', podSpec([main]), shared.annotations), replicas),
    service(p, name, 'query', [{ name: 'http', port: PORTS.query, targetPort: PORTS.query }]),
  ];
}
