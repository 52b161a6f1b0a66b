import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import type { LogPipelineStatus } from '@instant-logs/schema';
import type { ControlPlane } from '@instant-logs/testbed';
import type { KubeClient, KubeObject } from './kube/client.ts';
import { RESOURCES } from './kube/resources.ts';
import { reconcile, type ReconcileDeps } from './reconcile.ts';
import { installCrd, markEverythingReady, startTestCluster, strimziTopicCrd, until } from './test-cluster.ts';

// A cluster whose Strimzi predates 0.49: its KafkaTopic CRD serves v1beta2 only.
let plane: ControlPlane;
let client: KubeClient;
let deps: ReconcileDeps;
let ns: string;
before(async () => {
  let newNamespace: () => Promise<string>;
  ({ plane, client, namespace: newNamespace } = await startTestCluster({ kafkaTopicVersions: ['v1beta2'] }));
  deps = { client, now: () => new Date().toISOString(), newPassword: () => 'password' };
  ns = await newNamespace();
});
after(() => plane.stop());

type Topic = KubeObject & { spec: { topicName: string; partitions: number } };
const V1BETA2 = { ...RESOURCES.KafkaTopic, version: 'v1beta2' };
const ready = async () =>
  (
    await client.get<KubeObject & { status?: LogPipelineStatus }>(RESOURCES.LogPipeline, ns, 'old')
  )?.status?.conditions?.find((c) => c.type === 'Ready');

test('where Strimzi serves only kafka.strimzi.io/v1beta2 the topics are v1beta2 KafkaTopics and the pipeline becomes Ready', async () => {
  assert.equal(await client.serves(RESOURCES.KafkaTopic), false, 'v1 is not served here');
  await client.create(RESOURCES.LogPipeline, {
    apiVersion: 'logging.instantdev.io/v1alpha1',
    kind: 'LogPipeline',
    metadata: { name: 'old', namespace: ns },
    spec: { kafka: { cluster: 'kafka', topic: { replicas: 1 } }, clickhouse: { managed: {} } },
  });
  await reconcile(deps, ns, 'old');
  const topic = await client.get<Topic>(V1BETA2, ns, 'old-logs');
  assert.equal(topic?.apiVersion, 'kafka.strimzi.io/v1beta2');
  assert.equal(topic?.spec.topicName, 'old-logs');
  assert.ok(await client.get(V1BETA2, ns, 'old-dead-letter'));
  assert.notEqual((await ready())?.reason, 'StrimziNotInstalled');

  await markEverythingReady(client, ns, 'old');
  await reconcile(deps, ns, 'old');
  assert.equal((await ready())?.status, 'True');
  assert.deepEqual((await reconcile(deps, ns, 'old')).changed, [], 'and a second pass changes nothing');
});

test('after Strimzi’s CRD moves to v1 the same topics are applied as v1, neither duplicated nor pruned', async () => {
  const before = (await client.get<Topic>(V1BETA2, ns, 'old-logs'))!;
  await installCrd(client, strimziTopicCrd(['v1', 'v1beta2']));
  await until('v1 to be served', () => client.serves(RESOURCES.KafkaTopic));
  await reconcile(deps, ns, 'old');
  const topics = await client.list<Topic>(RESOURCES.KafkaTopic, ns);
  assert.deepEqual(topics.map((t) => t.metadata.name).sort(), ['old-dead-letter', 'old-logs']);
  const logs = topics.find((t) => t.metadata.name === 'old-logs')!;
  assert.equal(logs.metadata.uid, before.metadata.uid, 'the same object, not a new one');
  const managers = (logs.metadata['managedFields'] as { manager: string; apiVersion: string }[]).filter(
    (m) => m.manager === 'instant-logs-operator',
  );
  assert.deepEqual(
    managers.map((m) => m.apiVersion),
    ['kafka.strimzi.io/v1'],
  );
  assert.equal((await ready())?.status, 'True');
});
