import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { Registry } from 'prom-client';
import type { ControlPlane } from '@instant-logs/testbed';
import type { KubeConfig } from '@kubernetes/client-node';
import type { KubeClient, KubeObject } from './kube/client.ts';
import { RESOURCES } from './kube/resources.ts';
import { startOperator, type Operator } from './operator.ts';
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

async function start(identity: string): Promise<{ operator: Operator; registry: Registry }> {
  const registry = new Registry();
  const operator = await startOperator({ kubeConfig: operatorConfig, registry, leaseNamespace, identity, leaseDurationSeconds: 2, resyncMs: 60_000, backoff: { baseMs: 100, maxMs: 2000 }, log: quiet });
  return { operator, registry };
}

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
    assert.equal(b.operator.isLeader(), false);

    // Someone deletes an owned object: the watch brings the pipeline back to the queue.
    await client.delete(RESOURCES.Deployment, ns, 'shop-query');
    await until('the query Deployment to come back', () => exists(ns, 'Deployment', 'shop-query'));

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
