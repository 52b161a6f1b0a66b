import type { LogPipeline } from '@instant-logs/schema';
import type { KubeObject } from '../kube/client.ts';
import { PORTS } from './context.ts';
import { namesOf } from './names.ts';
import { container, podSpec, podTemplate } from './pod.ts';
import { schemeOf } from './tls.ts';
import { deployment, service } from './workload.ts';

/** Pure: the dashboard's Deployment and Service, or nothing when dashboard.enabled is false. */
export function dashboard(p: LogPipeline): KubeObject[] {
  const { enabled, replicas, resources } = p.spec.dashboard;
  if (!enabled) return [];
  const names = namesOf(p);
  const main = container(p, {
    name: 'dashboard',
    image: p.spec.images.dashboard,
    resources,
    port: PORTS.dashboard,
    env: [
      { name: 'HOST', value: '0.0.0.0' },
      { name: 'PORT', value: String(PORTS.dashboard) },
      // nginx does not verify an upstream certificate by default (proxy_ssl_verify off), so https:// needs no CA here.
      { name: 'QUERY_URL', value: `${schemeOf(p)}://${names.query}:${PORTS.query}` },
    ],
  });
  return [
    deployment(p, names.dashboard, 'dashboard', podTemplate(p, 'dashboard', podSpec([main])), replicas),
    service(p, names.dashboard, 'dashboard', [{ name: 'http', port: PORTS.dashboard, targetPort: PORTS.dashboard }]),
  ];
}
