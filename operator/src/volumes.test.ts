import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import type { ControlPlane } from '@instant-logs/testbed';
import type { V1PersistentVolumeClaim, V1StatefulSetSpec } from '@kubernetes/client-node';
import { liveReader } from './cache.ts';
import { createKubeClient, type KubeClient, type KubeObject } from './kube/client.ts';
import { RESOURCES, type ResourceType } from './kube/resources.ts';
import { reconcile, type ReconcileDeps } from './reconcile.ts';
import { createPipeline, getPipeline, startTestCluster, until } from './test-cluster.ts';
import { operatorRules } from './rbac.ts';
import { resizes } from './volumes.ts';

// The StatefulSet controller makes the claims (and Pods, which stay Pending: no scheduler, no kubelet), the
// binder binds them to the PersistentVolumes made here, and the garbage collector finishes orphaning deletes.
let plane: ControlPlane;
let client: KubeClient;
let newNamespace: () => Promise<string>;
let deps: ReconcileDeps;

before(async () => {
  ({
    plane,
    client,
    namespace: newNamespace,
  } = await startTestCluster({
    controllers: ['statefulset-controller', 'persistentvolume-binder-controller'],
  }));
  await plane.startControllerManager();
  deps = { client, now: () => new Date().toISOString(), newPassword: () => 'generated-password-1' };
});
after(() => plane.stop());

const PV: ResourceType = { ...RESOURCES.PersistentVolumeClaim, kind: 'PersistentVolume', plural: 'persistentvolumes' };
const POD: ResourceType = { ...RESOURCES.PersistentVolumeClaim, kind: 'Pod', plural: 'pods' };
const LABEL = 'logging.instantdev.io/pipeline';
const kafka = { cluster: 'kafka', topic: { replicas: 1 } };
type StatefulSet = KubeObject & { spec: V1StatefulSetSpec };
type Claim = KubeObject & V1PersistentVolumeClaim;

/** A StorageClass binding at once to volumes made by hand, and `count` such volumes of 10Gi. */
async function storage(name: string, allowVolumeExpansion: boolean, count: number): Promise<void> {
  await client.create(RESOURCES.StorageClass, {
    apiVersion: 'storage.k8s.io/v1',
    kind: 'StorageClass',
    metadata: { name },
    provisioner: 'kubernetes.io/no-provisioner',
    volumeBindingMode: 'Immediate',
    allowVolumeExpansion,
  });
  for (let i = 0; i < count; i++)
    await client.create(PV, {
      apiVersion: 'v1',
      kind: 'PersistentVolume',
      metadata: { name: `${name}-${i}` },
      spec: {
        storageClassName: name,
        capacity: { storage: '10Gi' },
        accessModes: ['ReadWriteOnce'],
        hostPath: { path: `/tmp/${name}-${i}` },
      },
    });
}

const claims = async (ns: string, name: string) =>
  (await client.list<Claim>(RESOURCES.PersistentVolumeClaim, ns, `${LABEL}=${name}`)).sort((a, b) =>
    a.metadata.name.localeCompare(b.metadata.name),
  );
const statefulSets = async (ns: string, name: string) =>
  (await client.list<StatefulSet>(RESOURCES.StatefulSet, ns, `${LABEL}=${name}`)).sort((a, b) =>
    a.metadata.name.localeCompare(b.metadata.name),
  );
const templateSize = (s: StatefulSet) => String(s.spec.volumeClaimTemplates![0]!.spec!.resources!.requests!['storage']);
const claimSize = (c: Claim) => String(c.spec!.resources!.requests!['storage']);
const ready = async (ns: string, name: string) =>
  (await getPipeline(client, ns, name)).status?.conditions?.find((c) => c.type === 'Ready');
// The Deployment and StatefulSet controllers write status here (pods Pending): only the pipeline's status follows.
const writes = (r: { changed: string[] }) => r.changed.filter((c) => c !== 'status');
const shardPods = async (ns: string) => client.list(POD, ns, 'logging.instantdev.io/shard');
const events = async (ns: string, reason: string) =>
  (await client.list<KubeObject & { reason?: string; type?: string }>(RESOURCES.Event, ns)).filter(
    (e) => e.reason === reason,
  );

async function resize(ns: string, name: string, size: string): Promise<void> {
  const p = await getPipeline(client, ns, name);
  const managed = (p.spec['clickhouse'] as { managed: { storage: object } }).managed;
  await client.replace(RESOURCES.LogPipeline, {
    ...p,
    spec: { ...p.spec, clickhouse: { managed: { ...managed, storage: { ...managed.storage, size } } } },
  });
}

/** A 2-shard pipeline whose claims (one per shard) are made and bound. */
async function boundPipeline(ns: string, name: string, storageClassName: string): Promise<void> {
  const spec = { kafka, clickhouse: { managed: { shards: 2, storage: { size: '1Gi', storageClassName } } } };
  await createPipeline(client, ns, name, spec);
  await reconcile(deps, ns, name);
  await until('both claims bound', async () => {
    const cs = await claims(ns, name);
    return cs.length === 2 && cs.every((c) => c.status?.phase === 'Bound');
  });
}

describe('growing the volumes of a managed ClickHouse on a real API server', () => {
  test('each claim grows in place and each StatefulSet is re-created with the new size, its pods kept', async () => {
    await storage('expandable', true, 2);
    const ns = await newNamespace();
    await boundPipeline(ns, 'grow', 'expandable');
    await until('a pod for each shard', async () => (await shardPods(ns)).length === 2);
    const pods = new Map((await shardPods(ns)).map((p) => [p.metadata.name, p.metadata.uid]));
    const uids = (await statefulSets(ns, 'grow')).map((s) => s.metadata.uid);

    await resize(ns, 'grow', '2Gi');
    const first = await reconcile(deps, ns, 'grow');
    assert.deepEqual(
      first.changed.filter((c) => c.startsWith('~')),
      ['~StatefulSet/grow-clickhouse-shard-1', '~StatefulSet/grow-clickhouse-shard-2'],
    );
    assert.deepEqual((await claims(ns, 'grow')).map(claimSize), ['2Gi', '2Gi']);
    assert.equal((await ready(ns, 'grow'))?.reason, 'ExpandingVolumes');

    // The garbage collector finishes the orphaning delete; the next reconcile (the deletion wakes it) re-creates.
    await until('both StatefulSets gone', async () => (await statefulSets(ns, 'grow')).length === 0);
    await reconcile(deps, ns, 'grow');
    const sets = await statefulSets(ns, 'grow');
    assert.deepEqual(sets.map(templateSize), ['2Gi', '2Gi']);
    assert.ok(sets.every((s) => !uids.includes(s.metadata.uid)));
    await until('the pods adopted by the new StatefulSets', async () => {
      const now = await shardPods(ns);
      return now.every((p) => sets.some((s) => p.metadata.ownerReferences?.[0]?.uid === s.metadata.uid));
    });
    assert.deepEqual(new Map((await shardPods(ns)).map((p) => [p.metadata.name, p.metadata.uid])), pods);

    assert.deepEqual(writes(await reconcile(deps, ns, 'grow')), []);
    assert.deepEqual(
      (await statefulSets(ns, 'grow')).map((s) => s.metadata.uid),
      sets.map((s) => s.metadata.uid),
    );
  });

  test('a smaller size is refused in Ready and an Event, and nothing is deleted', async () => {
    await storage('shrink', true, 2);
    const ns = await newNamespace();
    await boundPipeline(ns, 'small', 'shrink');
    const uids = (await statefulSets(ns, 'small')).map((s) => s.metadata.uid);

    await resize(ns, 'small', '512Mi');
    await reconcile(deps, ns, 'small');
    const condition = await ready(ns, 'small');
    assert.equal(condition?.status, 'False');
    assert.equal(condition?.reason, 'VolumeShrinkRefused');
    assert.match(condition?.message ?? '', /volumes cannot shrink \(data asks for 512Mi, they have 1Gi\)/);
    assert.equal((await events(ns, 'VolumeShrinkRefused'))[0]?.type, 'Warning');
    const sets = await statefulSets(ns, 'small');
    assert.deepEqual(
      sets.map((s) => s.metadata.uid),
      uids,
    );
    assert.deepEqual(sets.map(templateSize), ['1Gi', '1Gi']);
    assert.deepEqual((await claims(ns, 'small')).map(claimSize), ['1Gi', '1Gi']);
    assert.deepEqual(writes(await reconcile(deps, ns, 'small')), []);
    assert.equal((await ready(ns, 'small'))?.reason, 'VolumeShrinkRefused');
  });

  test('a StorageClass without allowVolumeExpansion is reported, and nothing is patched or deleted', async () => {
    await storage('fixed', false, 2);
    const ns = await newNamespace();
    await boundPipeline(ns, 'stuck', 'fixed');
    const uids = (await statefulSets(ns, 'stuck')).map((s) => s.metadata.uid);

    await resize(ns, 'stuck', '2Gi');
    await reconcile(deps, ns, 'stuck');
    const condition = await ready(ns, 'stuck');
    assert.equal(condition?.reason, 'VolumeExpansionNotAllowed');
    assert.match(condition?.message ?? '', /StorageClass fixed does not allow volume expansion/);
    assert.equal((await events(ns, 'VolumeExpansionNotAllowed')).length, 1);
    assert.deepEqual(
      (await statefulSets(ns, 'stuck')).map((s) => s.metadata.uid),
      uids,
    );
    assert.deepEqual((await claims(ns, 'stuck')).map(claimSize), ['1Gi', '1Gi']);
    // Reported once, not on every pass.
    assert.deepEqual(writes(await reconcile(deps, ns, 'stuck')), []);
    assert.equal((await events(ns, 'VolumeExpansionNotAllowed')).length, 1);
  });
});

describe('growing volumes under an operator that watches one namespace', () => {
  test('without the right to read StorageClasses it patches, and reports the API server refusing it', async (t) => {
    await storage('fixed-ns', false, 2);
    const ns = await newNamespace();
    await boundPipeline(ns, 'scoped', 'fixed-ns');
    // As the chart binds it with watchNamespace: the ClusterRole through a RoleBinding, so nothing cluster-scoped.
    const rbac = { group: 'rbac.authorization.k8s.io', version: 'v1' };
    await client.create(
      { ...RESOURCES.PersistentVolumeClaim, kind: 'ServiceAccount', plural: 'serviceaccounts' },
      { apiVersion: 'v1', kind: 'ServiceAccount', metadata: { name: 'operator', namespace: ns } },
    );
    await client.create(
      { ...rbac, kind: 'ClusterRole', plural: 'clusterroles', namespaced: false },
      {
        apiVersion: 'rbac.authorization.k8s.io/v1',
        kind: 'ClusterRole',
        metadata: { name: `operator-${ns}` },
        rules: operatorRules(),
      },
    );
    await client.create(
      { ...rbac, kind: 'RoleBinding', plural: 'rolebindings', namespaced: true },
      {
        apiVersion: 'rbac.authorization.k8s.io/v1',
        kind: 'RoleBinding',
        metadata: { name: 'operator', namespace: ns },
        roleRef: { apiGroup: 'rbac.authorization.k8s.io', kind: 'ClusterRole', name: `operator-${ns}` },
        subjects: [{ kind: 'ServiceAccount', name: 'operator', namespace: ns }],
      },
    );
    const scoped = createKubeClient(await plane.userKubeConfig('operator', ns));
    // The controller reads the pipeline from its cache; here the admin reads it in its place.
    const reader = { ...liveReader(scoped), pipeline: liveReader(client).pipeline };
    const scopedDeps = { ...deps, client: scoped, reader };
    const uids = (await statefulSets(ns, 'scoped')).map((s) => s.metadata.uid);

    await resize(ns, 'scoped', '2Gi');
    await reconcile(scopedDeps, ns, 'scoped');
    const condition = await ready(ns, 'scoped');
    t.diagnostic(condition?.message ?? '');
    assert.equal(condition?.reason, 'VolumeExpansionFailed', condition?.message);
    assert.match(condition?.message ?? '', /PersistentVolumeClaim data-scoped-clickhouse-shard-1-0: .*resize/);
    assert.deepEqual(
      (await statefulSets(ns, 'scoped')).map((s) => s.metadata.uid),
      uids,
    );
    assert.deepEqual((await claims(ns, 'scoped')).map(claimSize), ['1Gi', '1Gi']);
  });
});

describe('resizes', () => {
  const sts = (size: string | number) =>
    ({
      apiVersion: 'apps/v1',
      kind: 'StatefulSet',
      metadata: { name: 's' },
      spec: {
        volumeClaimTemplates: [{ metadata: { name: 'data' }, spec: { resources: { requests: { storage: size } } } }],
      },
    }) as unknown as KubeObject;

  test('sees a changed size, not the same size written another way, nor a new StatefulSet', () => {
    assert.deepEqual(resizes(sts('2Gi'), sts('1Gi')), [{ statefulSet: 's', template: 'data', from: '1Gi', to: '2Gi' }]);
    assert.deepEqual(resizes(sts('1Gi'), sts(1073741824)), []);
    assert.deepEqual(resizes(sts('1Gi'), undefined), []);
  });
});
