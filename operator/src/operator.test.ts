import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { Registry } from 'prom-client';
import type { ControlPlane } from '@instant-logs/testbed';
import type { KubeConfig } from '@kubernetes/client-node';
import type { KubeClient, KubeObject } from './kube/client.ts';
import { RESOURCES } from './kube/resources.ts';
import { startOperator, type Operator, type OperatorOptions } from './operator.ts';
import { operatorRules } from './rbac.ts';
import { startTestCluster, until } from './test-cluster.ts';

let plane: ControlPlane;
let client: KubeClient;
let newNamespace: () => Promise<string>;
let operatorConfig: KubeConfig;
const quiet = { info: () => {}, error: () => {} };

// The operators here act as a ServiceAccount bound to exactly the generated rules, so every test
// also proves that the RBAC the chart grants is enough.
before(async () => {
  ({ plane, client, namespace: newNamespace } = await startTestCluster());
  const ops = await newNamespace();
  await client.create({ group: '', version: 'v1', kind: 'ServiceAccount', plural: 'serviceaccounts', namespaced: true }, { apiVersion: 'v1', kind: 'ServiceAccount', metadata: { name: 'operator', namespace: ops } });
  const rbac = { group: 'rbac.authorization.k8s.io', version: 'v1', namespaced: false };
  await client.create({ ...rbac, kind: 'ClusterRole', plural: 'clusterroles' }, { apiVersion: 'rbac.authorization.k8s.io/v1', kind: 'ClusterRole', metadata: { name: 'instant-logs-operator' }, rules: operatorRules() });
  await client.create({ ...rbac, kind: 'ClusterRoleBinding', plural: 'clusterrolebindings' }, {
    apiVersion: 'rbac.authorization.k8s.io/v1',
    kind: 'ClusterRoleBinding',
    metadata: { name: 'instant-logs-operator' },
    roleRef: { apiGroup: 'rbac.authorization.k8s.io', kind: 'ClusterRole', name: 'instant-logs-operator' },
    subjects: [{ kind: 'ServiceAccount', name: 'operator', namespace: ops }],
  });
  operatorConfig = await plane.userKubeConfig('operator', ops);
  leaseNamespace = ops;
});
after(() => plane.stop());

let leaseNamespace: string;
const reconciles = async (registry: Registry) => (await registry.getSingleMetric('instant_logs_operator_reconciles_total')!.get()).values.reduce((n, v) => n + v.value, 0);

async function start(identity: string, options: Partial<OperatorOptions> = {}): Promise<{ operator: Operator; registry: Registry }> {
  const registry = new Registry();
  const operator = await startOperator({ kubeConfig: operatorConfig, registry, leaseNamespace, identity, leaseDurationSeconds: 2, resyncMs: 60_000, backoff: { baseMs: 100, maxMs: 2000 }, log: quiet, ...options });
  return { operator, registry };
}

/** A logger that keeps the messages, to see what the operator went through. */
function recording() {
  const messages: string[] = [];
  return { messages, log: { info: (_: object, msg: string) => messages.push(msg), error: (_: object, msg: string) => messages.push(msg) } };
}
type WithStatus = KubeObject & { status?: { observedGeneration?: number; conditions?: { type: string; status: string; reason: string }[] } };
const statusOf = async (ns: string, name: string) => (await client.get<WithStatus>(RESOURCES.LogPipeline, ns, name))?.status;

const pipeline = (namespace: string, name: string, spec: Record<string, unknown> = {}) =>
  client.create(RESOURCES.LogPipeline, {
    apiVersion: 'logging.instantdev.io/v1alpha1',
    kind: 'LogPipeline',
    metadata: { name, namespace },
    spec: { kafka: { cluster: 'kafka', topic: { replicas: 1 } }, clickhouse: { managed: {} }, ...spec },
  });
const exists = (ns: string, kind: keyof typeof RESOURCES, name: string) => client.get<KubeObject>(RESOURCES[kind], ns, name).then((o) => o !== undefined);

test('two replicas: only the leader reconciles, it repairs drift, and the other takes over when it stops', async () => {
  const a = await start('replica-a');
  await until('replica-a to lead', async () => a.operator.isLeader());
  const b = await start('replica-b');
  try {
    const ns = await newNamespace();
    await pipeline(ns, 'shop');
    await until('the collector Deployment', () => exists(ns, 'Deployment', 'shop-collector'));
    await until('status to be written', async () => (await client.get<KubeObject & { status?: { observedGeneration?: number } }>(RESOURCES.LogPipeline, ns, 'shop'))?.status?.observedGeneration === 1);
    // The counter moves just after the status write, so wait for it rather than read it once.
    await until('replica-a to count its reconcile', async () => (await reconciles(a.registry)) > 0);
    assert.equal(await reconciles(b.registry), 0, 'the follower does not reconcile');
    // Under the generated RBAC alone it may record Events: the first Ready condition is one.
    const events = await client.list<KubeObject & { involvedObject: { name: string }; reason: string }>(RESOURCES.Event, ns);
    const readyReason = (await statusOf(ns, 'shop'))?.conditions?.find((c) => c.type === 'Ready')?.reason;
    assert.deepEqual(events.filter((e) => e.involvedObject.name === 'shop').map((e) => e.reason), [readyReason]);
    assert.equal(b.operator.isLeader(), false);

    // Someone deletes an owned object: the watch brings the pipeline back to the queue.
    await client.delete(RESOURCES.Deployment, ns, 'shop-query');
    await until('the query Deployment to come back', () => exists(ns, 'Deployment', 'shop-query'));
    // Owned Secrets are watched too: a deleted credentials Secret comes back well before the resync.
    await client.delete(RESOURCES.Secret, ns, 'shop-clickhouse-credentials');
    await until('the credentials Secret to come back', () => exists(ns, 'Secret', 'shop-clickhouse-credentials'));

    // The leader stops right after a change arrives, possibly mid-reconcile; the other converges.
    const lp = (await client.get<KubeObject & { spec: Record<string, unknown> }>(RESOURCES.LogPipeline, ns, 'shop'))!;
    await client.replace(RESOURCES.LogPipeline, { ...lp, spec: { ...lp.spec, dashboard: { enabled: false } } });
    await a.operator.stop();
    await until('replica-b to lead', async () => b.operator.isLeader());
    await until('the dashboard to be pruned by the new leader', async () => !(await exists(ns, 'Deployment', 'shop-dashboard')));
    await until('status for generation 2', async () => (await client.get<KubeObject & { status?: { observedGeneration?: number } }>(RESOURCES.LogPipeline, ns, 'shop'))?.status?.observedGeneration === 2);
    // The old leader may have finished that change itself while stopping; either way the new
    // leader reconciles everything it lists on taking the lease.
    await until('replica-b to reconcile', async () => (await reconciles(b.registry)) > 0);
  } finally {
    await a.operator.stop();
    await b.operator.stop();
  }
});

test('after each of two kube-apiserver restarts the leader wins its lease back and a pipeline created afterwards is reconciled', async () => {
  const { messages, log } = recording();
  const a = await start('replica-restart', { log });
  try {
    await until('the replica to lead', async () => a.operator.isLeader());
    const ns = await newNamespace();
    await pipeline(ns, 'before');
    await until('the first pipeline to get its status', async () => (await statusOf(ns, 'before'))?.observedGeneration === 1);

    for (const round of [1, 2]) {
      // The API server stays down until the lease is lost, then the same replica wins it again.
      await plane.restartApiServer(() => until('the lease to be lost', async () => messages.filter((m) => m.startsWith('Lost the leader lease')).length === round, 60_000));
      await until('the lease to be won again', async () => messages.filter((m) => m.startsWith('Became the leader')).length === round + 1 && a.operator.isLeader(), 60_000);
      assert.equal(messages.filter((m) => m.startsWith('Lost the leader lease')).length, round);

      const name = `after-${round}`;
      await pipeline(ns, name);
      await until(`${name}’s collector Deployment`, () => exists(ns, 'Deployment', `${name}-collector`), 60_000);
      await until(`${name}’s status`, async () => (await statusOf(ns, name))?.observedGeneration === 1, 60_000);
      assert.equal(a.operator.healthy(), true);
      await until('readiness', async () => a.operator.ready());
    }
  } finally {
    await a.operator.stop();
  }
});

test('a leader whose controller cannot list LogPipelines fails liveness after its start grace, and recovers when it can', async () => {
  // Its own identity: the Lease in the operator namespace, but no right to list LogPipelines.
  const core = { group: '', version: 'v1', kind: 'ServiceAccount', plural: 'serviceaccounts', namespaced: true };
  const rbac = { group: 'rbac.authorization.k8s.io', version: 'v1', namespaced: false };
  const crb = { ...rbac, kind: 'ClusterRoleBinding', plural: 'clusterrolebindings' };
  const leaseOnly = await newNamespace();
  await client.create(core, { apiVersion: 'v1', kind: 'ServiceAccount', metadata: { name: 'blind', namespace: leaseOnly } });
  const rules = operatorRules().filter((r) => !r.resources.includes('logpipelines'));
  await client.create({ ...rbac, kind: 'ClusterRole', plural: 'clusterroles' }, { apiVersion: 'rbac.authorization.k8s.io/v1', kind: 'ClusterRole', metadata: { name: 'blind' }, rules });
  const binding = (role: string) => ({
    apiVersion: 'rbac.authorization.k8s.io/v1',
    kind: 'ClusterRoleBinding',
    metadata: { name: `blind-${role}` },
    roleRef: { apiGroup: 'rbac.authorization.k8s.io', kind: 'ClusterRole', name: role },
    subjects: [{ kind: 'ServiceAccount', name: 'blind', namespace: leaseOnly }],
  });
  await client.create(crb, binding('blind'));
  const registry = new Registry();
  const operator = await startOperator({
    kubeConfig: await plane.userKubeConfig('blind', leaseOnly),
    registry,
    leaseNamespace: leaseOnly,
    identity: 'blind',
    leaseDurationSeconds: 2,
    startGraceMs: 1000,
    log: quiet,
  });
  try {
    await until('it to lead', async () => operator.isLeader());
    await until('liveness to fail', async () => !operator.healthy());
    assert.equal(operator.ready(), false);
    await client.create(crb, binding('instant-logs-operator'));
    await until('liveness to recover once the informers sync', async () => operator.healthy() && operator.ready(), 60_000);
  } finally {
    await operator.stop();
  }
});
