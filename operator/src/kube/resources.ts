/** Where a kind lives in the API. */
export interface ResourceType {
  group: string;
  version: string;
  kind: string;
  plural: string;
  namespaced: boolean;
}

const r = (group: string, version: string, kind: string, plural: string, namespaced = true): ResourceType => ({
  group,
  version,
  kind,
  plural,
  namespaced,
});

/**
 * Every kind the operator reads or writes. The RBAC rules in the chart are generated from this table
 * (with the verbs each kind needs), so code that touches a new kind must add it here.
 */
export const RESOURCES = {
  LogPipeline: r('logging.instantdev.io', 'v1alpha1', 'LogPipeline', 'logpipelines'),
  Deployment: r('apps', 'v1', 'Deployment', 'deployments'),
  StatefulSet: r('apps', 'v1', 'StatefulSet', 'statefulsets'),
  Service: r('', 'v1', 'Service', 'services'),
  ConfigMap: r('', 'v1', 'ConfigMap', 'configmaps'),
  Secret: r('', 'v1', 'Secret', 'secrets'),
  ServiceAccount: r('', 'v1', 'ServiceAccount', 'serviceaccounts'),
  PodDisruptionBudget: r('policy', 'v1', 'PodDisruptionBudget', 'poddisruptionbudgets'),
  HorizontalPodAutoscaler: r('autoscaling', 'v2', 'HorizontalPodAutoscaler', 'horizontalpodautoscalers'),
  NetworkPolicy: r('networking.k8s.io', 'v1', 'NetworkPolicy', 'networkpolicies'),
  Job: r('batch', 'v1', 'Job', 'jobs'),
  PersistentVolumeClaim: r('', 'v1', 'PersistentVolumeClaim', 'persistentvolumeclaims'),
  StorageClass: r('storage.k8s.io', 'v1', 'StorageClass', 'storageclasses', false),
  Lease: r('coordination.k8s.io', 'v1', 'Lease', 'leases'),
  Event: r('', 'v1', 'Event', 'events'),
  KafkaTopic: r('kafka.strimzi.io', 'v1', 'KafkaTopic', 'kafkatopics'),
  ScaledObject: r('keda.sh', 'v1alpha1', 'ScaledObject', 'scaledobjects'),
  ServiceMonitor: r('monitoring.coreos.com', 'v1', 'ServiceMonitor', 'servicemonitors'),
  CustomResourceDefinition: r(
    'apiextensions.k8s.io',
    'v1',
    'CustomResourceDefinition',
    'customresourcedefinitions',
    false,
  ),
} as const;

export type Kind = keyof typeof RESOURCES;

/** Older versions some clusters serve instead, newest first; the operator writes the newest served. */
const OLDER_VERSIONS: Partial<Record<string, readonly string[]>> = { KafkaTopic: ['v1beta2'] };

/** The type at the newest version the API server serves, or undefined when it serves none. */
export async function servedType(
  t: ResourceType,
  serves: (t: ResourceType) => Promise<boolean>,
): Promise<ResourceType | undefined> {
  for (const version of [t.version, ...(OLDER_VERSIONS[t.kind] ?? [])]) {
    const candidate = { ...t, version };
    if (await serves(candidate)) return candidate;
  }
  return undefined;
}

/** Pure: apiVersion as written in objects ("v1", "apps/v1"). */
export function apiVersionOf(t: ResourceType): string {
  return t.group ? `${t.group}/${t.version}` : t.version;
}

/** Pure: the REST path of a collection or, with a name, of one object (and optionally a subresource). */
export function pathOf(t: ResourceType, namespace?: string, name?: string, subresource?: string): string {
  const base = t.group ? `/apis/${t.group}/${t.version}` : `/api/${t.version}`;
  const ns = t.namespaced && namespace ? `/namespaces/${encodeURIComponent(namespace)}` : '';
  const obj = name ? `/${encodeURIComponent(name)}${subresource ? `/${subresource}` : ''}` : '';
  return `${base}${ns}/${t.plural}${obj}`;
}

/** Pure: the resource type of an object by its apiVersion and kind, if the operator knows it. */
export function typeOf(obj: { apiVersion?: string; kind?: string }): ResourceType | undefined {
  for (const t of Object.values(RESOURCES)) {
    if (t.kind !== obj.kind) continue;
    const version = [t.version, ...(OLDER_VERSIONS[t.kind] ?? [])].find(
      (v) => apiVersionOf({ ...t, version: v }) === obj.apiVersion,
    );
    if (version) return { ...t, version };
  }
  return undefined;
}
