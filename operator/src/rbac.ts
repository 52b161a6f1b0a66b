import { RESOURCES, type ResourceType } from './kube/resources.ts';

/** One rule of a Kubernetes (Cluster)Role. */
export interface PolicyRule {
  apiGroups: string[];
  resources: string[];
  verbs: string[];
}

const MANAGE = ['get', 'list', 'watch', 'create', 'update', 'patch', 'delete'];
// Exactly what the code does with each kind; a test runs the operator under these rules alone.
const GRANTS: [ResourceType, string[], string?][] = [
  [RESOURCES.LogPipeline, ['get', 'list', 'watch']],
  [RESOURCES.LogPipeline, ['get', 'patch', 'update'], 'status'],
  [RESOURCES.Deployment, MANAGE],
  [RESOURCES.StatefulSet, MANAGE],
  [RESOURCES.Service, MANAGE],
  [RESOURCES.ConfigMap, MANAGE],
  [RESOURCES.Secret, MANAGE],
  [RESOURCES.PodDisruptionBudget, MANAGE],
  [RESOURCES.HorizontalPodAutoscaler, MANAGE],
  [RESOURCES.NetworkPolicy, MANAGE],
  [RESOURCES.Job, MANAGE],
  [RESOURCES.KafkaTopic, MANAGE],
  [RESOURCES.ScaledObject, MANAGE],
  [RESOURCES.ServiceMonitor, MANAGE],
  [RESOURCES.Lease, ['get', 'create', 'update']],
  [RESOURCES.Event, ['get', 'create', 'update']],
];

/** Pure: the least-privilege rules the operator needs, grouped by API group and verbs. */
export function operatorRules(): PolicyRule[] {
  const byKey = new Map<string, PolicyRule>();
  for (const [t, verbs, sub] of GRANTS) {
    const key = `${t.group}|${verbs.join(',')}`;
    const rule = byKey.get(key) ?? { apiGroups: [t.group], resources: [], verbs };
    rule.resources.push(sub ? `${t.plural}/${sub}` : t.plural);
    byKey.set(key, rule);
  }
  return [...byKey.values()].map((r) => ({ ...r, resources: r.resources.sort() })).sort((a, b) => `${a.apiGroups[0]}${a.verbs}`.localeCompare(`${b.apiGroups[0]}${b.verbs}`));
}
