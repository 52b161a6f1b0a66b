import type { LogPipeline } from '@instant-logs/schema';
import type { KubeObject } from '../kube/client.ts';
import { PORTS } from './context.ts';
import { disruptionBudget } from './disruption.ts';
import { namesOf } from './names.ts';
import { container, podSpec, podTemplate } from './pod.ts';
import { probeKind, schemeOf, tlsAdditions } from './tls.ts';
import { deployment, service } from './workload.ts';

/** Pure: the dashboard's Deployment and Service, or nothing when dashboard.enabled is false. */
export function dashboard(p: LogPipeline): KubeObject[] {
  const { enabled, replicas, resources } = p.spec.dashboard;
  if (!enabled) return [];
  const names = namesOf(p);
  // The image's entry point turns TLS_CERT_FILE/TLS_KEY_FILE into an ssl listener, as the query service does.
  const tls = tlsAdditions(p, 'dashboard');
  const main = container(p, {
    name: 'dashboard',
    image: p.spec.images.dashboard,
    resources,
    port: PORTS.dashboard,
    probe: probeKind(p, 'dashboard'),
    env: [
      { name: 'HOST', value: '0.0.0.0' },
      { name: 'PORT', value: String(PORTS.dashboard) },
      // nginx does not verify an upstream certificate by default (proxy_ssl_verify off), so https:// needs no CA here.
      { name: 'QUERY_URL', value: `${schemeOf(p)}://${names.query}:${PORTS.query}` },
      ...(tls.env ?? []),
    ],
    volumeMounts: tls.volumeMounts,
  });
  return [
    deployment(
      p,
      names.dashboard,
      'dashboard',
      podTemplate(p, 'dashboard', podSpec([main], { volumes: tls.volumes })),
      replicas,
    ),
    service(p, names.dashboard, 'dashboard', [
      { name: schemeOf(p), port: PORTS.dashboard, targetPort: PORTS.dashboard },
    ]),
    ...disruptionBudget(p, names.dashboard, 'dashboard', replicas),
  ];
}
