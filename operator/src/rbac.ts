import { OWNED_KINDS } from './cache.ts';
import { RESOURCES, type ResourceType } from './kube/resources.ts';

/** One rule of a Kubernetes (Cluster)Role. */
export interface PolicyRule {
  apiGroups: string[];
  resources: string[];
  verbs: string[];
}

// Owned kinds are read from the caches (list, watch), written by server-side apply (patch, and create:
// the API server authorizes an apply that makes the object as a create too) and pruned (delete); never
// updated or read one by one. Secrets are also read one by one: the user's (not labelled, so not
// cached) and the credentials Secret the cache has not seen yet.
const OWNED_VERBS = ['list', 'watch', 'create', 'patch', 'delete'];
// Exactly what the code does with each kind: operator.test.ts runs the operator under these rules alone
// and compares them with the requests it made.
const GRANTS: [ResourceType, string[], string?][] = [
  [RESOURCES.LogPipeline, ['list', 'watch']],
  [RESOURCES.LogPipeline, ['patch'], 'status'],
  ...OWNED_KINDS.map((t): [ResourceType, string[]] => [
    t,
    t === RESOURCES.Secret ? ['get', ...OWNED_VERBS] : OWNED_VERBS,
  ]),
  // Volume expansion (volumes.ts): claims are listed and patched to a larger size, their class read.
  [RESOURCES.PersistentVolumeClaim, ['list', 'patch']],
  [RESOURCES.StorageClass, ['get']],
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
  return [...byKey.values()]
    .map((r) => ({ ...r, resources: r.resources.sort() }))
    .sort((a, b) => `${a.apiGroups[0]}${a.verbs}`.localeCompare(`${b.apiGroups[0]}${b.verbs}`));
}
