import type { LogPipeline } from '@instant-logs/schema';
import type { V1EnvVar } from '@kubernetes/client-node';
import type { KubeObject } from '../kube/client.ts';
import { PORTS } from './context.ts';
import { selectorLabels } from './labels.ts';
import { namesOf } from './names.ts';
import { objectMeta } from './owner.ts';
import { sharedSettingsEnv } from './pipeline-config.ts';
import { container, podSpec, podTemplate } from './pod.ts';
import { deployment, service } from './workload.ts';
import { telemetryEnv } from './telemetry.ts';

/** Pure: API_KEYS (`key:tenant,key2:tenant2`) from the user's Secret, when the pipeline names one. */
export function apiKeysEnv(p: LogPipeline): V1EnvVar[] {
  const ref = p.spec.collector.apiKeysSecretRef;
  // Without a Secret the pipeline is open by the user's choice (spec docs), which the services require spelled out.
  return ref ? [{ name: 'API_KEYS', valueFrom: { secretKeyRef: { name: ref.name, key: ref.key } } }] : [{ name: 'ALLOW_UNAUTHENTICATED', value: 'true' }];
}

/** Pure: the collector's Deployment, Service and PodDisruptionBudget. */
export function collector(p: LogPipeline): KubeObject[] {
  const { replicas, resources, service: svc } = p.spec.collector;
  const name = namesOf(p).collector;
  const shared = sharedSettingsEnv(p);
  const main = container(p, {
    name: 'collector',
    image: p.spec.images.collector,
    resources,
    port: PORTS.collector,
    envFrom: shared.envFrom,
    env: [{ name: 'HOST', value: '0.0.0.0' }, { name: 'PORT', value: String(PORTS.collector) }, ...apiKeysEnv(p), ...telemetryEnv(p, 'collector')],
  });
  const pdb: KubeObject = {
    apiVersion: 'policy/v1',
    kind: 'PodDisruptionBudget',
    metadata: objectMeta(p, name, 'collector'),
    spec: { maxUnavailable: 1, selector: { matchLabels: selectorLabels(p, 'collector') } },
  };
  return [
    deployment(p, name, 'collector', podTemplate(p, 'collector', podSpec([main]), shared.annotations), replicas),
    service(p, name, 'collector', [{ name: 'http', port: svc.port, targetPort: PORTS.collector }], { type: svc.type }),
    pdb,
  ];
}
