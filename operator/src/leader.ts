import { setTimeout as delay } from 'node:timers/promises';
import { KubeApiError, type KubeClient, type KubeObject } from './kube/client.ts';
import { RESOURCES } from './kube/resources.ts';

export interface LeaderElectionOptions {
  client: KubeClient;
  namespace: string;
  leaseName: string;
  identity: string;
  leaseDurationSeconds: number;
  /** How often the leader renews and others retry; well under the lease duration. */
  retryMs: number;
  onStartedLeading: () => void;
  onStoppedLeading: () => void;
  onError?: (err: unknown) => void;
}

interface Lease extends KubeObject {
  spec?: { holderIdentity?: string; leaseDurationSeconds?: number; acquireTime?: string; renewTime?: string; leaseTransitions?: number };
}

/** Pure: a Lease time in the MicroTime format the API server insists on. */
export function microTime(ms: number): string {
  return new Date(ms).toISOString().replace(/\.(\d{3})Z$/, '.$1000Z');
}

/**
 * Lease-based leader election (coordination.k8s.io/v1), like client-go's: the holder renews the
 * Lease; others take it over once it has gone unrenewed for its duration. Every write carries the
 * resourceVersion it read, so two candidates can never both win. Resolves when `signal` aborts,
 * after releasing the lease if held.
 */
export async function runLeaderElection(options: LeaderElectionOptions, signal: AbortSignal): Promise<void> {
  const { client, namespace, leaseName, identity } = options;
  let leading = false;
  const setLeading = (now: boolean) => {
    if (now === leading) return;
    leading = now;
    if (now) options.onStartedLeading();
    else options.onStoppedLeading();
  };

  while (!signal.aborted) {
    try {
      setLeading(await tryAcquireOrRenew(options));
    } catch (err) {
      // Not knowing whether we still hold the lease means we must stop acting as leader.
      setLeading(false);
      if (!(err instanceof KubeApiError && err.status === 409)) options.onError?.(err);
    }
    await delay(options.retryMs, undefined, { signal }).catch(() => undefined);
  }
  if (leading) {
    const lease = await client.get<Lease>(RESOURCES.Lease, namespace, leaseName).catch(() => undefined);
    if (lease?.spec?.holderIdentity === identity) {
      await client.replace(RESOURCES.Lease, { ...lease, spec: { ...lease.spec, holderIdentity: '', leaseDurationSeconds: 1 } }).catch(() => undefined);
    }
    setLeading(false);
  }
}

async function tryAcquireOrRenew(o: LeaderElectionOptions): Promise<boolean> {
  const now = Date.now();
  const existing = await o.client.get<Lease>(RESOURCES.Lease, o.namespace, o.leaseName);
  const spec = { holderIdentity: o.identity, leaseDurationSeconds: o.leaseDurationSeconds, renewTime: microTime(now) };
  if (!existing) {
    await o.client.create(RESOURCES.Lease, {
      apiVersion: 'coordination.k8s.io/v1',
      kind: 'Lease',
      metadata: { name: o.leaseName, namespace: o.namespace },
      spec: { ...spec, acquireTime: microTime(now), leaseTransitions: 0 },
    });
    return true;
  }
  const held = existing.spec ?? {};
  const mine = held.holderIdentity === o.identity;
  const renewedAt = held.renewTime ? Date.parse(held.renewTime) : 0;
  const expired = !held.holderIdentity || renewedAt + (held.leaseDurationSeconds ?? o.leaseDurationSeconds) * 1000 < now;
  if (!mine && !expired) return false;
  await o.client.replace(RESOURCES.Lease, {
    ...existing,
    spec: mine ? { ...held, ...spec } : { ...spec, acquireTime: microTime(now), leaseTransitions: (held.leaseTransitions ?? 0) + 1 },
  });
  return true;
}
