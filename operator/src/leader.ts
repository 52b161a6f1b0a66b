import { setTimeout as delay } from 'node:timers/promises';
import { KubeApiError, type KubeClient, type KubeObject } from './kube/client.ts';
import { RESOURCES } from './kube/resources.ts';

export interface LeaderElectionOptions {
  client: KubeClient;
  namespace: string;
  leaseName: string;
  identity: string;
  leaseDurationSeconds: number;
  /** How long the leader keeps retrying failed renews before it steps down; under the lease duration. */
  renewDeadlineMs: number;
  /** How often the leader renews and others retry; well under the renew deadline. */
  retryMs: number;
  onStartedLeading: () => void;
  onStoppedLeading: () => void;
  onError?: (err: unknown) => void;
  /** A monotonic clock in ms; expiry is judged on it alone, never on another pod's wall clock. */
  clock?: () => number;
}

interface LeaseSpec {
  holderIdentity?: string;
  leaseDurationSeconds?: number;
  acquireTime?: string;
  renewTime?: string;
  leaseTransitions?: number;
}
interface Lease extends KubeObject {
  spec?: LeaseSpec;
}

/** Pure: a Lease time in the MicroTime format the API server insists on. */
export function microTime(ms: number): string {
  return new Date(ms).toISOString().replace(/\.(\d{3})Z$/, '.$1000Z');
}

class Timeout extends Error {}

/**
 * Lease-based leader election (coordination.k8s.io/v1) as client-go does it: the holder renews the
 * Lease and steps down only when renews have failed for the whole renew deadline; a candidate takes
 * the Lease over once its record has not changed for a lease duration of the candidate's own clock.
 * Leadership can be lost and won again any number of times. Every write carries the
 * resourceVersion it read, so two candidates can never both win. Resolves when `signal` aborts,
 * after releasing the lease if held.
 */
export async function runLeaderElection(options: LeaderElectionOptions, signal: AbortSignal): Promise<void> {
  const { client, namespace, leaseName, identity, renewDeadlineMs } = options;
  const clock = options.clock ?? (() => performance.now());
  // When this replica last saw the record change: renewTime is another pod's clock and may be skewed.
  const observed = { record: '', at: 0 };
  let leading = false;
  let renewedAt = 0;
  const setLeading = (now: boolean) => {
    if (now === leading) return;
    leading = now;
    if (now) options.onStartedLeading();
    else options.onStoppedLeading();
  };

  const attempt = async (): Promise<boolean> => {
    const lease = await client.get<Lease>(RESOURCES.Lease, namespace, leaseName);
    const wall = Date.now();
    const spec = {
      holderIdentity: identity,
      leaseDurationSeconds: options.leaseDurationSeconds,
      renewTime: microTime(wall),
    };
    if (!lease) {
      const created = await client.create<Lease>(RESOURCES.Lease, {
        apiVersion: 'coordination.k8s.io/v1',
        kind: 'Lease',
        metadata: { name: leaseName, namespace },
        spec: { ...spec, acquireTime: microTime(wall), leaseTransitions: 0 },
      });
      observe(created.spec);
      return true;
    }
    const held = lease.spec ?? {};
    observe(held);
    const mine = held.holderIdentity === identity;
    const expired =
      !held.holderIdentity ||
      clock() >= observed.at + (held.leaseDurationSeconds ?? options.leaseDurationSeconds) * 1000;
    if (!mine && !expired) return false;
    const updated = await client.replace<Lease>(RESOURCES.Lease, {
      ...lease,
      spec: mine
        ? { ...held, ...spec }
        : { ...spec, acquireTime: microTime(wall), leaseTransitions: (held.leaseTransitions ?? 0) + 1 },
    });
    observe(updated.spec);
    return true;
  };
  const observe = (spec: LeaseSpec | undefined) => {
    const record = JSON.stringify(spec ?? {});
    if (record !== observed.record) Object.assign(observed, { record, at: clock() });
  };

  while (!signal.aborted) {
    // A renew hanging past the deadline must not keep this replica leading.
    const budget = leading ? Math.max(0, renewedAt + renewDeadlineMs - clock()) : renewDeadlineMs;
    try {
      const won = await withTimeout(attempt(), budget);
      if (won) renewedAt = clock();
      setLeading(won);
    } catch (err) {
      if (leading && clock() >= renewedAt + renewDeadlineMs) setLeading(false);
      if (!(err instanceof KubeApiError && err.status === 409)) options.onError?.(err);
    }
    await delay(options.retryMs, undefined, { signal }).catch(() => undefined);
  }
  if (leading) {
    const lease = await client.get<Lease>(RESOURCES.Lease, namespace, leaseName).catch(() => undefined);
    if (lease?.spec?.holderIdentity === identity) {
      await client
        .replace(RESOURCES.Lease, { ...lease, spec: { ...lease.spec, holderIdentity: '', leaseDurationSeconds: 1 } })
        .catch(() => undefined);
    }
    setLeading(false);
  }
}

async function withTimeout<T>(work: Promise<T>, ms: number): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  const expired = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new Timeout(`The lease was not renewed within ${Math.round(ms)} ms`)), ms);
  });
  work.catch(() => undefined); // its failure after the timeout is nobody's business
  try {
    return await Promise.race([work, expired]);
  } finally {
    clearTimeout(timer);
  }
}
