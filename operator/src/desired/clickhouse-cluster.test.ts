import { test } from 'node:test';
import assert from 'node:assert/strict';
import type { V1ServiceSpec, V1StatefulSetSpec } from '@kubernetes/client-node';
import { z } from 'zod';
import { ClickHouseClusterEnv } from '@instant-logs/service-kit';
import { desired } from './index.ts';
import { SHARD_LABEL } from './clickhouse.ts';
import {
  context,
  envVar,
  EXTERNAL_CLICKHOUSE,
  find,
  has,
  mainContainer,
  pipeline,
  specOf,
  templateOf,
} from './test-pipeline.ts';

const sharded = pipeline({ clickhouse: { managed: { shards: 2 } } });
const replicated = pipeline({
  clickhouse: {
    managed: { shards: 2, replicas: 2, keeper: { nodes: ['keeper-0.keeper:9181', 'keeper-1.keeper:9181'] } },
  },
});
const statefulSets = (objects: ReturnType<typeof desired>) => objects.filter((o) => o.kind === 'StatefulSet');
const configOf = (objects: ReturnType<typeof desired>) =>
  find(objects, 'ConfigMap', 'demo-clickhouse')['data'] as Record<string, string>;

test('one shard and one replica is the one StatefulSet of before, with no cluster config or settings', () => {
  const objects = desired(pipeline(), context());
  assert.deepEqual(
    statefulSets(objects).map((o) => o.metadata.name),
    ['demo-clickhouse'],
  );
  assert.deepEqual(Object.keys(configOf(objects)), ['server.xml', 'users.xml']);
  const shared = find(objects, 'ConfigMap', 'demo-pipeline')['data'] as Record<string, string>;
  assert.ok(!Object.keys(shared).some((k) => k.startsWith('CLICKHOUSE_CLUSTER')));
  assert.equal(specOf<V1StatefulSetSpec>(statefulSets(objects)[0]!).selector.matchLabels?.[SHARD_LABEL], undefined);
});

test('two shards are two StatefulSets, each selecting only its own pods and telling them their shard', () => {
  const objects = desired(sharded, context());
  const sets = statefulSets(objects);
  assert.deepEqual(
    sets.map((o) => o.metadata.name),
    ['demo-clickhouse-shard-1', 'demo-clickhouse-shard-2'],
  );
  sets.forEach((sts, i) => {
    const spec = specOf<V1StatefulSetSpec>(sts);
    assert.equal(spec.replicas, 1);
    assert.equal(spec.serviceName, 'demo-clickhouse-headless');
    assert.equal(spec.selector.matchLabels?.[SHARD_LABEL], String(i + 1));
    assert.equal(templateOf(sts).metadata?.labels?.[SHARD_LABEL], String(i + 1));
    const c = mainContainer(sts);
    assert.equal(envVar(c, 'INSTANT_LOGS_SHARD')?.value, String(i + 1));
    assert.equal(envVar(c, 'INSTANT_LOGS_REPLICA')?.valueFrom?.fieldRef?.fieldPath, 'metadata.name');
  });
  assert.ok(!has(objects, 'StatefulSet', 'demo-clickhouse'));
  // Either pod may be drained, one at a time.
  const pdb = find(objects, 'PodDisruptionBudget', 'demo-clickhouse');
  assert.equal((pdb['spec'] as { maxUnavailable: number }).maxUnavailable, 1);
});

test('the cluster config names every pod through the headless Service, which publishes them before ready', () => {
  const objects = desired(sharded, context());
  const xml = configOf(objects)['cluster.xml']!;
  for (const shard of [1, 2])
    assert.match(
      xml,
      new RegExp(`<host>demo-clickhouse-shard-${shard}-0\\.demo-clickhouse-headless\\.logs\\.svc</host>`),
    );
  assert.equal(xml.match(/<shard>/g)?.length, 2);
  assert.match(
    xml,
    /<macros><shard from_env="INSTANT_LOGS_SHARD"\/><replica from_env="INSTANT_LOGS_REPLICA"\/><\/macros>/,
  );
  assert.match(xml, /<user>instant_logs<\/user><password from_env="INSTANT_LOGS_PASSWORD"\/>/);
  assert.doesNotMatch(xml, /zookeeper/);
  const headless = specOf<V1ServiceSpec>(find(objects, 'Service', 'demo-clickhouse-headless'));
  assert.equal(headless.publishNotReadyAddresses, true);
  const volume = templateOf(statefulSets(objects)[0]!).spec?.volumes?.find((v) => v.name === 'config');
  assert.deepEqual(
    volume?.configMap?.items?.map((i) => i.path),
    ['instant-logs.xml', 'remote-servers.xml'],
  );
});

test('without replication the services get the cluster and every server to change the schema on', () => {
  const objects = desired(sharded, context());
  const shared = find(objects, 'ConfigMap', 'demo-pipeline')['data'] as Record<string, string>;
  const parsed = z.object(ClickHouseClusterEnv).parse(shared);
  assert.deepEqual(parsed, {
    CLICKHOUSE_CLUSTER: 'instant_logs',
    CLICKHOUSE_CLUSTER_REPLICATED: false,
    CLICKHOUSE_CLUSTER_NODES: [
      'http://demo-clickhouse-shard-1-0.demo-clickhouse-headless.logs.svc:8123',
      'http://demo-clickhouse-shard-2-0.demo-clickhouse-headless.logs.svc:8123',
    ],
  });
  // Reads and inserts go to any server: each spreads or gathers over the shards.
  assert.equal(shared['CLICKHOUSE_URL'], 'http://demo-clickhouse:8123');
  const job = objects.find((o) => o.kind === 'Job')!;
  assert.equal(envVar(mainContainer(job), 'CLICKHOUSE_CLUSTER_NODES')?.value, shared['CLICKHOUSE_CLUSTER_NODES']);
});

test('replicas of a shard are pods of its StatefulSet, on Keeper, with the DDL queue and the interserver port', () => {
  const objects = desired(replicated, context());
  for (const sts of statefulSets(objects)) assert.equal(specOf<V1StatefulSetSpec>(sts).replicas, 2);
  const xml = configOf(objects)['cluster.xml']!;
  assert.match(xml, /<node><host>keeper-0\.keeper<\/host><port>9181<\/port><\/node>/);
  assert.match(xml, /<node><host>keeper-1\.keeper<\/host><port>9181<\/port><\/node>/);
  assert.match(xml, /<distributed_ddl><path>\/clickhouse\/task_queue\/ddl<\/path><\/distributed_ddl>/);
  assert.match(xml, /<interserver_http_port>9009<\/interserver_http_port>/);
  assert.equal(xml.match(/<replica>/g)?.length, 4);
  const c = mainContainer(statefulSets(objects)[0]!);
  assert.ok(c.ports?.some((p) => p.containerPort === 9009));
  assert.equal(
    envVar(c, 'INSTANT_LOGS_REPLICA_HOST')?.value,
    '$(INSTANT_LOGS_REPLICA).demo-clickhouse-headless.logs.svc',
  );
  const shared = find(objects, 'ConfigMap', 'demo-pipeline')['data'] as Record<string, string>;
  // Through Keeper the schema changes go ON CLUSTER: no list of servers.
  assert.equal(shared['CLICKHOUSE_CLUSTER_REPLICATED'], 'true');
  assert.equal(shared['CLICKHOUSE_CLUSTER_NODES'], undefined);
  const policy = find(objects, 'NetworkPolicy', 'demo-clickhouse')['spec'] as {
    ingress: { ports: { port: number }[] }[];
  };
  assert.ok(policy.ingress[0]!.ports.some((p) => p.port === 9009));
});

test('an external cluster is named to the services, which create its schema ON CLUSTER', () => {
  const p = pipeline({
    clickhouse: { external: { ...EXTERNAL_CLICKHOUSE.external, cluster: { name: 'prod', replicated: true } } },
  });
  const objects = desired(p, context({}, null));
  const shared = find(objects, 'ConfigMap', 'demo-pipeline')['data'] as Record<string, string>;
  assert.equal(shared['CLICKHOUSE_CLUSTER'], 'prod');
  assert.equal(shared['CLICKHOUSE_CLUSTER_REPLICATED'], 'true');
  assert.equal(shared['CLICKHOUSE_CLUSTER_NODES'], undefined);
  assert.equal(statefulSets(objects).length, 0);
});

test('desired() for a cluster is pure: the same pipeline gives deep-equal objects', () => {
  assert.deepEqual(desired(replicated, context()), desired(replicated, context()));
});
