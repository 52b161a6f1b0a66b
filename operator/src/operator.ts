import { randomUUID } from 'node:crypto';
import type { KubeConfig } from '@kubernetes/client-node';
import type { Registry } from 'prom-client';
import { startController, type Controller } from './controller.ts';
import { createKubeClient } from './kube/client.ts';
import { runLeaderElection } from './leader.ts';
import { createOperatorMetrics } from './metrics.ts';

export interface OperatorOptions {
  kubeConfig: KubeConfig;
  registry: Registry;
  /** Watch one namespace, or all when undefined. */
  namespace?: string;
  /** Where the leader Lease lives; leader election is off when undefined (a single replica). */
  leaseNamespace?: string;
  identity?: string;
  workers?: number;
  resyncMs?: number;
  leaseDurationSeconds?: number;
  backoff?: { baseMs: number; maxMs: number };
  newPassword?: () => string;
  log: { info(obj: object, msg: string): void; error(obj: object, msg: string): void };
}

export interface Operator {
  /** Whether this replica currently reconciles. */
  isLeader(): boolean;
  /** Whether the informers have loaded their first lists. */
  synced(): Promise<void>;
  /** Releases the lease, lets reconciles in progress finish, stops watching. */
  stop(): Promise<void>;
}

/**
 * The operator as one unit: informers always run (so a new leader starts warm); the workers run
 * only while this replica holds the leader Lease.
 */
export async function startOperator(o: OperatorOptions): Promise<Operator> {
  const client = createKubeClient(o.kubeConfig);
  const metrics = createOperatorMetrics(o.registry);
  const controller: Controller = await startController({
    client,
    metrics,
    ...(o.namespace ? { namespace: o.namespace } : {}),
    workers: o.workers ?? 2,
    resyncMs: o.resyncMs ?? 5 * 60_000,
    backoff: o.backoff ?? { baseMs: 500, maxMs: 5 * 60_000 },
    ...(o.newPassword ? { newPassword: o.newPassword } : {}),
    log: o.log,
  });
  const stopElection = new AbortController();
  let leader = false;
  let election: Promise<void> = Promise.resolve();
  const lead = () => {
    leader = true;
    metrics.leader.set(1);
    o.log.info({ identity: o.identity }, 'Became the leader: reconciling LogPipelines');
    controller.startWorkers();
  };
  if (o.leaseNamespace) {
    election = runLeaderElection(
      {
        client,
        namespace: o.leaseNamespace,
        leaseName: 'instant-logs-operator',
        identity: o.identity ?? randomUUID(),
        leaseDurationSeconds: o.leaseDurationSeconds ?? 15,
        retryMs: Math.max(200, ((o.leaseDurationSeconds ?? 15) * 1000) / 5),
        onStartedLeading: lead,
        // A replica that lost the lease may be partitioned from the cluster: stop at once, like client-go.
        onStoppedLeading: () => {
          if (!leader) return;
          leader = false;
          metrics.leader.set(0);
          o.log.error({ identity: o.identity }, 'Lost the leader lease: stopping');
          void controller.stop();
        },
        onError: (err) => o.log.error({ err: String(err) }, 'Leader election failed; retrying'),
      },
      stopElection.signal,
    );
  } else lead();

  return {
    isLeader: () => leader,
    synced: () => controller.synced(),
    async stop() {
      await controller.stop();
      stopElection.abort();
      await election;
    },
  };
}
