import type { LogPipeline } from '@instant-logs/schema';
import type { KubeObject } from '../kube/client.ts';
import { authAdditions } from './auth.ts';
import { clickhouseCredentialsEnv, credentialsAnnotations } from './clickhouse.ts';
import { PORTS, type DesiredContext } from './context.ts';
import { disruptionBudget } from './disruption.ts';
import { combine } from './mounts.ts';
import { namesOf } from './names.ts';
import { sharedSettingsEnv } from './pipeline-config.ts';
import { container, podSpec, podTemplate } from './pod.ts';
import { schemeOf, tlsAdditions } from './tls.ts';
import { deployment, service } from './workload.ts';
import { telemetryEnv } from './telemetry.ts';

/** Pure: the query service's Deployment and Service, or nothing when query.enabled is false. */
export function query(p: LogPipeline, ctx: DesiredContext): KubeObject[] {
  const { enabled, replicas, resources, corsOrigins } = p.spec.query;
  if (!enabled) return [];
  const name = namesOf(p).query;
  const shared = sharedSettingsEnv(p);
  // The collector's API keys: a key reads the logs of the tenant it writes.
  const extra = combine(authAdditions(p), tlsAdditions(p, 'query'));
  const main = container(p, {
    name: 'query',
    image: p.spec.images.query,
    resources,
    port: PORTS.query,
    probePort: PORTS.probe,
    envFrom: shared.envFrom,
    env: [
      { name: 'HOST', value: '0.0.0.0' },
      { name: 'PORT', value: String(PORTS.query) },
      ...clickhouseCredentialsEnv(p),
      ...extra.env,
      ...(corsOrigins.length ? [{ name: 'CORS_ORIGINS', value: corsOrigins.join(',') }] : []),
      // Alerts are evaluated here; their notifications link to where people open the dashboard.
      ...(p.spec.dashboard.publicUrl ? [{ name: 'PUBLIC_URL', value: p.spec.dashboard.publicUrl }] : []),
      ...telemetryEnv(p, 'query'),
    ],
    volumeMounts: extra.volumeMounts,
  });
  return [
    deployment(
      p,
      name,
      'query',
      podTemplate(p, 'query', podSpec([main], { volumes: extra.volumes }), {
        ...shared.annotations,
        ...credentialsAnnotations(p, ctx),
      }),
      replicas,
    ),
    service(p, name, 'query', [{ name: schemeOf(p), port: PORTS.query, targetPort: PORTS.query }]),
    ...disruptionBudget(p, name, 'query', replicas),
  ];
}
