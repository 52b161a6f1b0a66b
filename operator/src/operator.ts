import { randomUUID } from 'node:crypto';
import { setTimeout as delay } from 'node:timers/promises';
import type { KubeConfig } from '@kubernetes/client-node';
import type { Registry } from 'prom-client';
import { startController, type Controller, type ControllerOptions } from './controller.ts';
import { createKubeClient, type KubeRequest } from './kube/client.ts';
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
  /** How long failed renews are retried before stepping down; 2/3 of the lease duration by default. */
  renewDeadlineMs?: number;
  /** How long a new leader may take to get its controller running before liveness fails. */
  startGraceMs?: number;
  backoff?: { baseMs: number; maxMs: number };
  newPassword?: () => string;
  /** Told about every request to the API server, e.g. to see which verbs the operator uses. */
  onRequest?: (req: KubeRequest) => void;
  log: { info(obj: object, msg: string): void; error(obj: object, msg: string): void };
}

export interface Operator {
  /** Whether this replica currently holds the lease (or runs without election). */
  isLeader(): boolean;
  /** Liveness: false when it leads without a working controller, or its election loop has ended. */
  healthy(): boolean;
  /** Readiness: healthy, and when leading, the controller's informers have synced. */
  ready(): boolean;
  /** Releases the lease, lets reconciles in progress finish, stops watching. */
  stop(): Promise<void>;
}

// One term of leadership: its own controller (work queue + informers), never reused after it ends.
interface Term {
  ended: AbortController;
  since: number;
  controller?: Controller;
  synced: boolean;
}

/**
 * The operator as one unit. Each time this replica wins the leader Lease it starts a fresh
 * controller; losing the Lease stops that controller at once, and winning again starts another.
 */
export async function startOperator(o: OperatorOptions): Promise<Operator> {
  const client = createKubeClient(o.kubeConfig, o.onRequest ? { onRequest: o.onRequest } : {});
  const metrics = createOperatorMetrics(o.registry);
  const identity = o.identity ?? randomUUID();
  const leaseSeconds = o.leaseDurationSeconds ?? 15;
  const backoff = o.backoff ?? { baseMs: 500, maxMs: 5 * 60_000 };
  const startGraceMs = o.startGraceMs ?? 60_000;
  const controllerOptions: ControllerOptions = {
    client,
    metrics,
    ...(o.namespace ? { namespace: o.namespace } : {}),
    workers: o.workers ?? 2,
    resyncMs: o.resyncMs ?? 5 * 60_000,
    backoff,
    ...(o.newPassword ? { newPassword: o.newPassword } : {}),
    log: o.log,
  };

  let term: Term | undefined;
  // Starts and stops run one after another, so two controllers never reconcile at once.
  let transitions: Promise<void> = Promise.resolve();
  let electionEnded = false;

  const runTerm = async (t: Term) => {
    for (let failures = 0; !t.ended.signal.aborted; failures++) {
      try {
        const controller = await startController(controllerOptions);
        if (t.ended.signal.aborted) return void (await controller.stop());
        t.controller = controller;
        void controller.synced().then(() => (t.synced = true));
        return;
      } catch (err) {
        const retryInMs = Math.min(backoff.maxMs, backoff.baseMs * 2 ** Math.min(failures, 20));
        o.log.error({ err: String(err), retryInMs }, 'Failed to start the controller; retrying');
        await delay(retryInMs, undefined, { signal: t.ended.signal }).catch(() => undefined);
      }
    }
  };
  let stopping = false;
  const lead = () => {
    if (stopping) return;
    const t: Term = { ended: new AbortController(), since: performance.now(), synced: false };
    term = t;
    metrics.leader.set(1);
    o.log.info({ identity }, 'Became the leader: reconciling LogPipelines');
    transitions = transitions.then(() => runTerm(t));
  };
  const follow = (why = 'Lost the leader lease: stopped reconciling until it is won again') => {
    const t = term;
    if (!t) return;
    term = undefined;
    metrics.leader.set(0);
    o.log.info({ identity }, why);
    t.ended.abort();
    transitions = transitions.then(() => t.controller?.stop());
  };

  const stopElection = new AbortController();
  let election: Promise<void> = Promise.resolve();
  if (o.leaseNamespace) {
    election = runLeaderElection(
      {
        client,
        namespace: o.leaseNamespace,
        leaseName: 'instant-logs-operator',
        identity,
        leaseDurationSeconds: leaseSeconds,
        renewDeadlineMs: o.renewDeadlineMs ?? (leaseSeconds * 1000 * 2) / 3,
        retryMs: Math.max(200, (leaseSeconds * 1000) / 5),
        onStartedLeading: lead,
        onStoppedLeading: () => follow(),
        onError: (err) => o.log.error({ err: String(err) }, 'Leader election failed; retrying'),
      },
      stopElection.signal,
    ).finally(() => (electionEnded = true));
  } else lead();

  const healthy = () => {
    if (o.leaseNamespace && electionEnded && !stopElection.signal.aborted) return false;
    if (!term) return true;
    if (term.controller && !term.controller.healthy()) return false;
    // Informers that cannot list (RBAC, a CRD gone) retry forever; past the grace that is not working.
    return term.synced || performance.now() - term.since < startGraceMs;
  };
  return {
    isLeader: () => term !== undefined,
    healthy,
    ready: () => healthy() && (!term || term.synced),
    async stop() {
      // Reconciles in progress finish before the lease is released, so terms never overlap.
      stopping = true;
      follow('Stopped reconciling');
      await transitions;
      stopElection.abort();
      await election;
    },
  };
}
