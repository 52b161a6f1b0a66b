import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { Registry } from 'prom-client';
import type { ControlPlane } from '@instant-logs/testbed';
import type { KubeConfig } from '@kubernetes/client-node';
import type { KubeClient, KubeObject, KubeRequest } from './kube/client.ts';
import { RESOURCES } from './kube/resources.ts';
import { startOperator, type Operator, type OperatorOptions } from './operator.ts';
import { operatorRules } from './rbac.ts';
import {
  installCrd,
  KEDA_SCALED_OBJECT_CRD,
  markEverythingReady,
  SERVICE_MONITOR_CRD,
  startTestCluster,
  until,
} from './test-cluster.ts';

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
  await client.create(
    { group: '', version: 'v1', kind: 'ServiceAccount', plural: 'serviceaccounts', namespaced: true },
    { apiVersion: 'v1', kind: 'ServiceAccount', metadata: { name: 'operator', namespace: ops } },
  );
  const rbac = { group: 'rbac.authorization.k8s.io', version: 'v1', namespaced: false };
  await client.create(
    { ...rbac, kind: 'ClusterRole', plural: 'clusterroles' },
    {
      apiVersion: 'rbac.authorization.k8s.io/v1',
      kind: 'ClusterRole',
      metadata: { name: 'instant-logs-operator' },
      rules: operatorRules(),
    },
  );
  await client.create(
    { ...rbac, kind: 'ClusterRoleBinding', plural: 'clusterrolebindings' },
    {
      apiVersion: 'rbac.authorization.k8s.io/v1',
      kind: 'ClusterRoleBinding',
      metadata: { name: 'instant-logs-operator' },
      roleRef: { apiGroup: 'rbac.authorization.k8s.io', kind: 'ClusterRole', name: 'instant-logs-operator' },
      subjects: [{ kind: 'ServiceAccount', name: 'operator', namespace: ops }],
    },
  );
  operatorConfig = await plane.userKubeConfig('operator', ops);
  leaseNamespace = ops;
});
after(() => plane.stop());

let leaseNamespace: string;
const reconciles = async (registry: Registry) =>
  (await registry.getSingleMetric('instant_logs_operator_reconciles_total')!.get()).values.reduce(
    (n, v) => n + v.value,
    0,
  );

async function start(
  identity: string,
  options: Partial<OperatorOptions> = {},
): Promise<{ operator: Operator; registry: Registry }> {
  const registry = new Registry();
  const operator = await startOperator({
    kubeConfig: operatorConfig,
    registry,
    leaseNamespace,
    identity,
    leaseDurationSeconds: 2,
    resyncMs: 60_000,
    backoff: { baseMs: 100, maxMs: 2000 },
    log: quiet,
    ...options,
  });
  return { operator, registry };
}

/** A logger that keeps the messages, to see what the operator went through. */
function recording() {
  const messages: string[] = [];
  return {
    messages,
    log: {
      info: (_: object, msg: string) => messages.push(msg),
      error: (_: object, msg: string) => messages.push(msg),
    },
  };
}
type WithStatus = KubeObject & {
  status?: { observedGeneration?: number; conditions?: { type: string; status: string; reason: string }[] };
};
const statusOf = async (ns: string, name: string) =>
  (await client.get<WithStatus>(RESOURCES.LogPipeline, ns, name))?.status;

const pipeline = (namespace: string, name: string, spec: Record<string, unknown> = {}) =>
  client.create(RESOURCES.LogPipeline, {
    apiVersion: 'logging.instantdev.io/v1alpha1',
    kind: 'LogPipeline',
    metadata: { name, namespace },
    spec: { kafka: { cluster: 'kafka', topic: { replicas: 1 } }, clickhouse: { managed: {} }, ...spec },
  });
const exists = (ns: string, kind: keyof typeof RESOURCES, name: string) =>
  client.get<KubeObject>(RESOURCES[kind], ns, name).then((o) => o !== undefined);

test('two replicas: only the leader reconciles, it repairs drift, and the other takes over when it stops', async () => {
  const a = await start('replica-a');
  await until('replica-a to lead', async () => a.operator.isLeader());
  const b = await start('replica-b');
  try {
    const ns = await newNamespace();
    await pipeline(ns, 'shop');
    await until('the collector Deployment', () => exists(ns, 'Deployment', 'shop-collector'));
    await until(
      'status to be written',
      async () =>
        (await client.get<KubeObject & { status?: { observedGeneration?: number } }>(RESOURCES.LogPipeline, ns, 'shop'))
          ?.status?.observedGeneration === 1,
    );
    // The counter moves just after the status write, so wait for it rather than read it once.
    await until('replica-a to count its reconcile', async () => (await reconciles(a.registry)) > 0);
    assert.equal(await reconciles(b.registry), 0, 'the follower does not reconcile');
    // Under the generated RBAC alone it may record Events: the first Ready condition is one.
    const events = await client.list<KubeObject & { involvedObject: { name: string }; reason: string }>(
      RESOURCES.Event,
      ns,
    );
    const readyReason = (await statusOf(ns, 'shop'))?.conditions?.find((c) => c.type === 'Ready')?.reason;
    assert.deepEqual(
      events.filter((e) => e.involvedObject.name === 'shop').map((e) => e.reason),
      [readyReason],
    );
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
    await until(
      'the dashboard to be pruned by the new leader',
      async () => !(await exists(ns, 'Deployment', 'shop-dashboard')),
    );
    await until(
      'status for generation 2',
      async () =>
        (await client.get<KubeObject & { status?: { observedGeneration?: number } }>(RESOURCES.LogPipeline, ns, 'shop'))
          ?.status?.observedGeneration === 2,
    );
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
    await until(
      'the first pipeline to get its status',
      async () => (await statusOf(ns, 'before'))?.observedGeneration === 1,
    );

    for (const round of [1, 2]) {
      // The API server stays down until the lease is lost, then the same replica wins it again.
      await plane.restartApiServer(() =>
        until(
          'the lease to be lost',
          async () => messages.filter((m) => m.startsWith('Lost the leader lease')).length === round,
          60_000,
        ),
      );
      await until(
        'the lease to be won again',
        async () =>
          messages.filter((m) => m.startsWith('Became the leader')).length === round + 1 && a.operator.isLeader(),
        60_000,
      );
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
  await client.create(core, {
    apiVersion: 'v1',
    kind: 'ServiceAccount',
    metadata: { name: 'blind', namespace: leaseOnly },
  });
  const rules = operatorRules().filter((r) => !r.resources.includes('logpipelines'));
  await client.create(
    { ...rbac, kind: 'ClusterRole', plural: 'clusterroles' },
    { apiVersion: 'rbac.authorization.k8s.io/v1', kind: 'ClusterRole', metadata: { name: 'blind' }, rules },
  );
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
    await until(
      'liveness to recover once the informers sync',
      async () => operator.healthy() && operator.ready(),
      60_000,
    );
  } finally {
    await operator.stop();
  }
});

test('the running operator’s resyncs of a settled pipeline send no request beyond discovery, watches and the Lease', async () => {
  const requests: KubeRequest[] = [];
  const a = await start('replica-quiet', {
    resyncMs: 300,
    leaseNamespace: await newNamespace(),
    onRequest: (r) => requests.push(r),
  });
  try {
    const ns = await newNamespace();
    await pipeline(ns, 'quiet');
    await until('the first status', async () => (await statusOf(ns, 'quiet'))?.observedGeneration === 1);
    await markEverythingReady(client, ns, 'quiet');
    await until(
      'Ready',
      async () => (await statusOf(ns, 'quiet'))?.conditions?.find((c) => c.type === 'Ready')?.status === 'True',
    );
    const reconciled = async (more: number) => {
      const target = (await reconciles(a.registry)) + more;
      await until(`${more} more reconciles`, async () => (await reconciles(a.registry)) >= target);
    };
    await reconciled(2);
    requests.length = 0;
    await reconciled(3);
    // Discovery (/apis/<group>/<version>) runs once per resync, whatever the number of pipelines.
    const perReconcile = requests.filter(
      (r) => verbsOf(r).length > 0 && !/[?&]watch=true/.test(r.path) && !r.path.includes('/leases/'),
    );
    assert.deepEqual(
      perReconcile.map((r) => `${r.method} ${r.path}`),
      [],
    );
  } finally {
    await a.operator.stop();
  }
});

test('owned PodDisruptionBudgets, autoscalers, NetworkPolicies and Secrets that are deleted or edited are put back at once, not on the resync', async () => {
  const a = await start('replica-watch', { resyncMs: 3_600_000, leaseNamespace: await newNamespace() });
  try {
    const ns = await newNamespace();
    await pipeline(ns, 'watched');
    const names = [
      ['PodDisruptionBudget', 'watched-collector'],
      ['HorizontalPodAutoscaler', 'watched-processor'],
      ['NetworkPolicy', 'watched-query'],
      ['Secret', 'watched-clickhouse-credentials'],
    ] as const;
    await until('the objects to be made', async () =>
      (await Promise.all(names.map(([kind, name]) => exists(ns, kind, name)))).every(Boolean),
    );

    await client.delete(RESOURCES.PodDisruptionBudget, ns, 'watched-collector');
    await client.delete(RESOURCES.HorizontalPodAutoscaler, ns, 'watched-processor');
    type Policy = KubeObject & { spec: { ingress: { ports: { port: number }[] }[] } };
    const policy = (await client.get<Policy>(RESOURCES.NetworkPolicy, ns, 'watched-query'))!;
    await client.replace(RESOURCES.NetworkPolicy, {
      ...policy,
      spec: { ...policy.spec, ingress: [{ ports: [{ port: 1 }] }] },
    });
    type Secret = KubeObject & { data: Record<string, string> };
    const secret = (await client.get<Secret>(RESOURCES.Secret, ns, 'watched-clickhouse-credentials'))!;
    await client.replace(RESOURCES.Secret, {
      ...secret,
      data: { ...secret.data, username: Buffer.from('intruder').toString('base64') },
    });

    await until(
      'the PodDisruptionBudget and autoscaler to come back',
      async () =>
        (await exists(ns, 'PodDisruptionBudget', 'watched-collector')) &&
        exists(ns, 'HorizontalPodAutoscaler', 'watched-processor'),
    );
    await until(
      'the NetworkPolicy port to be restored',
      async () =>
        (await client.get<Policy>(RESOURCES.NetworkPolicy, ns, 'watched-query'))!.spec.ingress[0]!.ports[0]!.port ===
        8082,
    );
    await until(
      'the Secret’s user name to be restored',
      async () =>
        (await client.get<Secret>(RESOURCES.Secret, ns, 'watched-clickhouse-credentials'))!.data['username'] ===
        secret.data['username'],
    );
  } finally {
    await a.operator.stop();
  }
});

/** Pure: the RBAC verbs, as "apps|deployments|patch", a request was authorized as; none for discovery. */
function verbsOf(r: KubeRequest): string[] {
  const [path = '', query = ''] = r.path.split('?');
  const parts = path.split('/').filter(Boolean);
  const [group, rest] = parts[0] === 'api' ? ['', parts.slice(2)] : [parts[1]!, parts.slice(3)];
  const [resource, name, sub] = rest[0] === 'namespaces' && rest.length > 2 ? rest.slice(2) : rest;
  if (!resource) return [];
  const verbs: Record<string, string> = {
    GET: name ? 'get' : /(^|&)watch=true/.test(query) ? 'watch' : 'list',
    POST: 'create',
    PUT: 'update',
    PATCH: 'patch',
    DELETE: 'delete',
  };
  const kind = `${group}|${sub ? `${resource}/${sub}` : resource}`;
  // An apply that made the object (201) was authorized as a create as well as a patch.
  return r.method === 'PATCH' && r.status === 201
    ? [`${kind}|patch`, `${kind}|create`]
    : [`${kind}|${verbs[r.method]}`];
}

// Last in this file: it installs the KEDA and Prometheus Operator CRDs, which change what every pipeline gets.
test('the generated RBAC grants the verbs the operator uses, and no others', async () => {
  const used = new Set<string>();
  const a = await start('replica-verbs', {
    resyncMs: 1000,
    leaseNamespace: await newNamespace(),
    onRequest: (r) => verbsOf(r).forEach((v) => used.add(v)),
  });
  try {
    const ns = await newNamespace();
    await client.create(RESOURCES.Secret, {
      apiVersion: 'v1',
      kind: 'Secret',
      metadata: { name: 'ext-ch', namespace: ns },
      data: { username: 'dQ==', password: 'cA==' },
    });
    await pipeline(ns, 'verbs');
    const ready = async () => (await statusOf(ns, 'verbs'))?.conditions?.find((c) => c.type === 'Ready')?.status;
    // Status is written after every object is applied: only then is there everything to mark ready.
    await until('the first status', async () => (await statusOf(ns, 'verbs'))?.observedGeneration === 1);

    // The same Ready transition twice bumps the count of one Event (get, update).
    await markEverythingReady(client, ns, 'verbs');
    await until('Ready', async () => (await ready()) === 'True');
    await client.delete(RESOURCES.Deployment, ns, 'verbs-query');
    await until('not Ready while the new query Deployment has no status', async () => (await ready()) === 'False');
    await markEverythingReady(client, ns, 'verbs');
    const readyEvents = async () =>
      (await client.list<KubeObject & { reason: string; count: number }>(RESOURCES.Event, ns)).filter(
        (e) => e.reason === 'Ready',
      );
    await until('one Ready Event counted twice', async () => (await readyEvents()).map((e) => e.count).join() === '2');

    // A pipeline that needs fewer objects: each kind the pruner can reach is deleted.
    const lp = (await client.get<KubeObject & { spec: Record<string, unknown> }>(RESOURCES.LogPipeline, ns, 'verbs'))!;
    await client.replace(RESOURCES.LogPipeline, {
      ...lp,
      spec: {
        ...lp.spec,
        kafka: { bootstrapServers: 'kafka:9092', topic: { replicas: 1 } },
        clickhouse: { external: { url: 'http://ch:8123', credentialsSecretRef: { name: 'ext-ch' } } },
        dashboard: { enabled: false },
        collector: { replicas: 1 },
      },
    });
    await until(
      'the managed ClickHouse, the topics, the dashboard and the collector’s budget to be pruned',
      async () =>
        (await statusOf(ns, 'verbs'))?.observedGeneration === 2 &&
        !(await exists(ns, 'StatefulSet', 'verbs-clickhouse')) &&
        !(await exists(ns, 'KafkaTopic', 'verbs-logs')) &&
        !(await exists(ns, 'Deployment', 'verbs-dashboard')) &&
        !(await exists(ns, 'PodDisruptionBudget', 'verbs-collector')),
    );

    // CRDs installed while it runs are found on the next resync: the CPU autoscaler gives way to KEDA's.
    await installCrd(client, KEDA_SCALED_OBJECT_CRD);
    await installCrd(client, SERVICE_MONITOR_CRD);
    await until(
      'a ScaledObject instead of the HPA, and a ServiceMonitor',
      async () =>
        (await exists(ns, 'ScaledObject', 'verbs-processor')) &&
        !(await exists(ns, 'HorizontalPodAutoscaler', 'verbs-processor')) &&
        exists(ns, 'ServiceMonitor', 'verbs'),
    );
    // Until their informers have listed, the new kinds are read by LIST; then they are watched too.
    await until(
      'watches on the newly served kinds',
      async () => used.has('keda.sh|scaledobjects|watch') && used.has('monitoring.coreos.com|servicemonitors|watch'),
    );

    const granted = new Set(
      operatorRules().flatMap((r) =>
        r.apiGroups.flatMap((g) => r.resources.flatMap((res) => r.verbs.map((v) => `${g}|${res}|${v}`))),
      ),
    );
    assert.deepEqual(
      [...used].filter((v) => !granted.has(v)),
      [],
      'every request was one the rules allow',
    );
    // desired() always has an autoscaler for the processor and, once the Prometheus Operator is served, a
    // ServiceMonitor: the pruner may delete them (left over from another version) but no spec change makes it.
    // Growing volumes (volumes.test.ts, which needs the claims bound) lists and patches claims and reads their class.
    assert.deepEqual([...granted].filter((v) => !used.has(v)).sort(), [
      'keda.sh|scaledobjects|delete',
      'monitoring.coreos.com|servicemonitors|delete',
      'storage.k8s.io|storageclasses|get',
      '|persistentvolumeclaims|list',
      '|persistentvolumeclaims|patch',
    ]);
  } finally {
    await a.operator.stop();
  }
});
