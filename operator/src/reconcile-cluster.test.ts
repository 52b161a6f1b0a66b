import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import type { ControlPlane } from '@instant-logs/testbed';
import type { V1StatefulSetSpec } from '@kubernetes/client-node';
import type { KubeClient, KubeObject } from './kube/client.ts';
import { RESOURCES } from './kube/resources.ts';
import { reconcile, type ReconcileDeps } from './reconcile.ts';
import {
  createPipeline as createTestPipeline,
  getPipeline as getTestPipeline,
  markEverythingReady,
  startTestCluster,
} from './test-cluster.ts';

let plane: ControlPlane;
let client: KubeClient;
let newNamespace: () => Promise<string>;
let deps: ReconcileDeps;

before(async () => {
  ({ plane, client, namespace: newNamespace } = await startTestCluster());
  deps = { client, now: () => new Date().toISOString(), newPassword: () => 'generated-password-1' };
});
after(() => plane.stop());

type StatefulSet = KubeObject & { spec: V1StatefulSetSpec };
const LABEL = 'logging.instantdev.io/pipeline';
const kafka = { cluster: 'kafka', topic: { replicas: 1 } };

const createPipeline = (namespace: string, name: string, spec: Record<string, unknown>) =>
  createTestPipeline(client, namespace, name, spec);
const getPipeline = (namespace: string, name: string) => getTestPipeline(client, namespace, name);
const statefulSets = async (ns: string, name: string) =>
  (await client.list<StatefulSet>(RESOURCES.StatefulSet, ns, `${LABEL}=${name}`)).sort((a, b) =>
    a.metadata.name.localeCompare(b.metadata.name),
  );
const configMap = async (ns: string, name: string) =>
  (await client.get<KubeObject & { data: Record<string, string> }>(RESOURCES.ConfigMap, ns, name))!.data;

/** Every object the operator owns in the namespace, as kind/name → resourceVersion. */
async function owned(ns: string, name: string): Promise<Map<string, string>> {
  const out = new Map<string, string>();
  for (const t of [RESOURCES.StatefulSet, RESOURCES.Service, RESOURCES.ConfigMap, RESOURCES.Secret, RESOURCES.Job])
    for (const o of await client.list(t, ns, `${LABEL}=${name}`))
      out.set(`${t.kind}/${o.metadata.name}`, o.metadata.resourceVersion!);
  return out;
}

describe('a sharded managed ClickHouse on a real API server', () => {
  test('two shards are two StatefulSets with the cluster config and settings, Ready when both are', async () => {
    const ns = await newNamespace();
    await createPipeline(ns, 'wide', { kafka, clickhouse: { managed: { shards: 2 } } });
    await reconcile(deps, ns, 'wide');

    const sets = await statefulSets(ns, 'wide');
    assert.deepEqual(
      sets.map((s) => s.metadata.name),
      ['wide-clickhouse-shard-1', 'wide-clickhouse-shard-2'],
    );
    for (const [i, s] of sets.entries()) {
      assert.equal(s.spec.selector.matchLabels?.['logging.instantdev.io/shard'], String(i + 1));
      const env = s.spec.template.spec!.containers[0]!.env ?? [];
      assert.equal(env.find((e) => e.name === 'INSTANT_LOGS_SHARD')?.value, String(i + 1));
    }
    const cluster = (await configMap(ns, 'wide-clickhouse'))['cluster.xml']!;
    assert.match(cluster, /wide-clickhouse-shard-1-0\.wide-clickhouse-headless\./);
    assert.match(cluster, /wide-clickhouse-shard-2-0\.wide-clickhouse-headless\./);
    const shared = await configMap(ns, 'wide-pipeline');
    assert.equal(shared['CLICKHOUSE_CLUSTER'], 'instant_logs');
    assert.equal(shared['CLICKHOUSE_CLUSTER_NODES']?.split(',').length, 2);

    await markEverythingReady(client, ns, 'wide');
    await reconcile(deps, ns, 'wide');
    const ready = (await getPipeline(ns, 'wide')).status?.conditions?.find((c) => c.type === 'ClickHouseReady');
    assert.equal(ready?.status, 'True', ready?.message);

    const before = await owned(ns, 'wide');
    const result = await reconcile(deps, ns, 'wide');
    assert.deepEqual(result.changed, []);
    assert.deepEqual(await owned(ns, 'wide'), before);
  });

  test('a shard that is not ready keeps ClickHouse not Ready, naming its StatefulSet', async () => {
    const ns = await newNamespace();
    await createPipeline(ns, 'half', { kafka, clickhouse: { managed: { shards: 2 } } });
    await reconcile(deps, ns, 'half');
    await markEverythingReady(client, ns, 'half');
    const second = (await statefulSets(ns, 'half'))[1]!;
    await client.replaceStatus(RESOURCES.StatefulSet, { ...second, status: { replicas: 1, readyReplicas: 0 } });
    await reconcile(deps, ns, 'half');
    const ready = (await getPipeline(ns, 'half')).status?.conditions?.find((c) => c.type === 'ClickHouseReady');
    assert.equal(ready?.status, 'False');
    assert.match(ready?.message ?? '', /StatefulSet half-clickhouse-shard-2 has 0 ready replica/);
  });

  test('a third shard adds its StatefulSet and names it in every server config, keeping the first two', async () => {
    const ns = await newNamespace();
    await createPipeline(ns, 'grow', { kafka, clickhouse: { managed: { shards: 2 } } });
    await reconcile(deps, ns, 'grow');
    const uids = (await statefulSets(ns, 'grow')).map((s) => s.metadata.uid);
    const p = await getPipeline(ns, 'grow');
    await client.replace(RESOURCES.LogPipeline, { ...p, spec: { kafka, clickhouse: { managed: { shards: 3 } } } });
    await reconcile(deps, ns, 'grow');
    const sets = await statefulSets(ns, 'grow');
    assert.deepEqual(
      sets.map((s) => s.metadata.name),
      ['grow-clickhouse-shard-1', 'grow-clickhouse-shard-2', 'grow-clickhouse-shard-3'],
    );
    assert.deepEqual(
      sets.slice(0, 2).map((s) => s.metadata.uid),
      uids,
    );
    assert.match((await configMap(ns, 'grow-clickhouse'))['cluster.xml']!, /grow-clickhouse-shard-3-0\./);
    assert.equal((await configMap(ns, 'grow-pipeline'))['CLICKHOUSE_CLUSTER_NODES']?.split(',').length, 3);
  });

  test('replicated shards on a Keeper are accepted: two pods a shard, DDL queue, interserver port', async () => {
    const ns = await newNamespace();
    const keeper = { nodes: ['keeper-0.keeper:9181', 'keeper-1.keeper:9181', 'keeper-2.keeper:9181'] };
    await createPipeline(ns, 'copies', { kafka, clickhouse: { managed: { shards: 2, replicas: 2, keeper } } });
    const result = await reconcile(deps, ns, 'copies');
    assert.ok(result.changed.length > 0);
    for (const s of await statefulSets(ns, 'copies')) assert.equal(s.spec.replicas, 2);
    const cluster = (await configMap(ns, 'copies-clickhouse'))['cluster.xml']!;
    assert.equal(cluster.match(/<replica>/g)?.length, 4);
    assert.match(cluster, /<distributed_ddl>/);
    const shared = await configMap(ns, 'copies-pipeline');
    assert.equal(shared['CLICKHOUSE_CLUSTER_REPLICATED'], 'true');
    assert.equal(shared['CLICKHOUSE_CLUSTER_NODES'], undefined);
    const failed = (await getPipeline(ns, 'copies')).status?.conditions?.find((c) => c.reason === 'ApplyFailed');
    assert.equal(failed, undefined, failed?.message);
  });

  test('a managed Keeper: its objects are applied, ClickHouse points at its pods, and a second reconcile writes nothing', async () => {
    const ns = await newNamespace();
    const keeper = { managed: { replicas: 3 } };
    await createPipeline(ns, 'quorum', { kafka, clickhouse: { managed: { shards: 2, replicas: 2, keeper } } });
    await reconcile(deps, ns, 'quorum');
    const failed = (await getPipeline(ns, 'quorum')).status?.conditions?.find((c) => c.reason === 'ApplyFailed');
    assert.equal(failed, undefined, failed?.message);

    const sts = (await statefulSets(ns, 'quorum')).find((s) => s.metadata.name === 'quorum-keeper')!;
    assert.equal(sts.spec.replicas, 3);
    assert.equal(sts.spec.podManagementPolicy, 'Parallel');
    const raft = (await configMap(ns, 'quorum-keeper'))['keeper_config.xml']!;
    for (const i of [0, 1, 2])
      assert.match(
        raft,
        new RegExp(`<id>${i + 1}</id><hostname>quorum-keeper-${i}\\.quorum-keeper-headless\\.${ns}\\.svc<`),
      );
    const headless = await client.get<KubeObject & { spec: { clusterIP: string; publishNotReadyAddresses: boolean } }>(
      RESOURCES.Service,
      ns,
      'quorum-keeper-headless',
    );
    assert.equal(headless?.spec.clusterIP, 'None');
    assert.equal(headless?.spec.publishNotReadyAddresses, true);
    const pdb = await client.get<KubeObject & { spec: { maxUnavailable: number } }>(
      RESOURCES.PodDisruptionBudget,
      ns,
      'quorum-keeper',
    );
    assert.equal(pdb?.spec.maxUnavailable, 1);
    const policy = await client.get<KubeObject & { spec: { ingress: { ports: { port: number }[] }[] } }>(
      RESOURCES.NetworkPolicy,
      ns,
      'quorum-keeper',
    );
    assert.deepEqual(
      policy?.spec.ingress[0]!.ports.map((p) => p.port),
      [9181, 9234],
    );

    // The replicated schema's settings and every server's zookeeper section name the managed Keeper.
    const cluster = (await configMap(ns, 'quorum-clickhouse'))['cluster.xml']!;
    for (const i of [0, 1, 2])
      assert.match(
        cluster,
        new RegExp(`<host>quorum-keeper-${i}\\.quorum-keeper-headless\\.${ns}\\.svc</host><port>9181</port>`),
      );
    const shared = await configMap(ns, 'quorum-pipeline');
    assert.equal(shared['CLICKHOUSE_CLUSTER'], 'instant_logs');
    assert.equal(shared['CLICKHOUSE_CLUSTER_REPLICATED'], 'true');

    // ClickHouse waits for a Keeper quorum: 1 of 3 ready is not one, 2 is.
    await markEverythingReady(client, ns, 'quorum');
    for (const s of await statefulSets(ns, 'quorum'))
      await client.replaceStatus(RESOURCES.StatefulSet, {
        ...s,
        status: { replicas: s.spec.replicas, readyReplicas: 1 },
      });
    const shard = (await statefulSets(ns, 'quorum')).filter((s) => s.metadata.name !== 'quorum-keeper');
    for (const s of shard)
      await client.replaceStatus(RESOURCES.StatefulSet, { ...s, status: { replicas: 2, readyReplicas: 2 } });
    await reconcile(deps, ns, 'quorum');
    const noQuorum = (await getPipeline(ns, 'quorum')).status?.conditions?.find((c) => c.type === 'ClickHouseReady');
    assert.equal(noQuorum?.reason, 'KeeperNoQuorum', noQuorum?.message);
    const keeperSts = (await statefulSets(ns, 'quorum')).find((s) => s.metadata.name === 'quorum-keeper')!;
    await client.replaceStatus(RESOURCES.StatefulSet, { ...keeperSts, status: { replicas: 3, readyReplicas: 2 } });
    await reconcile(deps, ns, 'quorum');
    const ready = (await getPipeline(ns, 'quorum')).status?.conditions?.find((c) => c.type === 'ClickHouseReady');
    assert.equal(ready?.status, 'True', ready?.message);

    const before = await owned(ns, 'quorum');
    assert.deepEqual((await reconcile(deps, ns, 'quorum')).changed, []);
    assert.deepEqual(await owned(ns, 'quorum'), before);
  });
});
