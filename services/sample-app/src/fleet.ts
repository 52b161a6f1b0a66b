/** The shop's services, as the generator names them in `service`. */
export const SERVICES = ['api-gateway', 'auth', 'checkout', 'payments', 'inventory', 'search', 'email-worker'] as const;
export type ServiceName = (typeof SERVICES)[number];

export type Resource = Readonly<Record<string, string>>;

interface ServiceSpec {
  version: string;
  /** Replica-set hash and pod suffixes, as `kubectl get pods` would show them. */
  replicaSet: string;
  pods: readonly string[];
  /** Pino-based services log epoch milliseconds; the others RFC 3339, so both intake paths get traffic. */
  epochMs: boolean;
}

const SPECS: Record<ServiceName, ServiceSpec> = {
  'api-gateway': { version: '1.27.3', replicaSet: '5d8c7f9b4', pods: ['x7k2p', 'q9w4z', 'm3n8t'], epochMs: false },
  auth: { version: '3.4.1', replicaSet: '7b9f6d5c8', pods: ['h2j5k', 'r8t1v'], epochMs: true },
  checkout: { version: '2.14.0', replicaSet: '6c4d8e7f5', pods: ['a4s6d', 'f1g7h', 'k9l2z'], epochMs: true },
  payments: { version: '4.2.7', replicaSet: '8f5b9c6d7', pods: ['p3o5i', 'u7y2t'], epochMs: true },
  inventory: { version: '1.9.12', replicaSet: '9d6a8b5c4', pods: ['c8v3b', 'n6m1q'], epochMs: false },
  search: { version: '0.31.0', replicaSet: '4e7c9a6b8', pods: ['w5e2r', 't4y8u'], epochMs: false },
  'email-worker': { version: '1.3.5', replicaSet: '5a9d7c8e6', pods: ['z1x9c'], epochMs: true },
};

// One frozen object per pod, shared by its records: real SDKs attach the same resource to every record.
// Only the pod name: the benchmark's ~300-byte records leave no room for service.version and friends.
const RESOURCES = new Map<ServiceName, readonly Resource[]>(
  SERVICES.map((service) => {
    const spec = SPECS[service];
    const pods = spec.pods.map((suffix) =>
      Object.freeze({ 'k8s.pod.name': `${service}-${spec.replicaSet}-${suffix}` }),
    );
    return [service, pods];
  }),
);

/** Pure: the fixed set of pod resources a service runs as. */
export function resourcesOf(service: ServiceName): readonly Resource[] {
  return RESOURCES.get(service)!;
}

/** Pure: the version a service reports, for start-up lines. */
export function versionOf(service: ServiceName): string {
  return SPECS[service].version;
}

/** Pure: a timestamp in the format this service's logger writes. */
export function formatTime(service: ServiceName, ms: number): string | number {
  const whole = Math.floor(ms);
  return SPECS[service].epochMs ? whole : new Date(whole).toISOString();
}
