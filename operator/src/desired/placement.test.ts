import { test } from 'node:test';
import assert from 'node:assert/strict';
import type { V1PodSpec } from '@kubernetes/client-node';
import { desired } from './index.ts';
import { context, find, pipeline, specOf, templateOf, workloads } from './test-pipeline.ts';

const zone = { maxSkew: 1, topologyKey: 'topology.kubernetes.io/zone', whenUnsatisfiable: 'DoNotSchedule' as const };
const settings = (name: string) => ({
  nodeSelector: { pool: name },
  tolerations: [{ key: 'dedicated', operator: 'Equal' as const, value: name, effect: 'NoSchedule' as const }],
  affinity: {
    nodeAffinity: {
      requiredDuringSchedulingIgnoredDuringExecution: {
        nodeSelectorTerms: [{ matchExpressions: [{ key: 'arch', operator: 'In', values: ['amd64'] }] }],
      },
    },
  },
  topologySpreadConstraints: [zone],
  priorityClassName: `${name}-priority`,
  annotations: { 'example.com/owner': name },
  labels: { team: name },
});
const placed = pipeline({
  collector: { pod: settings('collector') },
  processor: { pod: settings('processor') },
  query: { pod: settings('query') },
  dashboard: { pod: settings('dashboard') },
  clickhouse: { managed: { pod: settings('clickhouse') } },
});
const podOf = (kind: string, name: string, p = placed) => templateOf(find(desired(p, context()), kind, name));
const setupPod = (p = placed) => templateOf(desired(p, context()).find((o) => o.kind === 'Job')!);

test('each component’s pods get its own nodeSelector, tolerations, affinity, spread, priority class, labels and annotations; the setup Job takes the processor’s', () => {
  const pods: [string, ReturnType<typeof podOf>][] = [
    ['collector', podOf('Deployment', 'demo-collector')],
    ['processor', podOf('Deployment', 'demo-processor')],
    ['query', podOf('Deployment', 'demo-query')],
    ['dashboard', podOf('Deployment', 'demo-dashboard')],
    ['clickhouse', podOf('StatefulSet', 'demo-clickhouse')],
    ['processor', setupPod()],
  ];
  for (const [owner, pod] of pods) {
    const want = settings(owner);
    const spec = pod.spec!;
    assert.deepEqual(spec.nodeSelector, want.nodeSelector, owner);
    assert.deepEqual(spec.tolerations, want.tolerations, owner);
    assert.deepEqual(spec.affinity, want.affinity, owner);
    assert.equal(spec.priorityClassName, want.priorityClassName, owner);
    assert.equal(pod.metadata!.labels!['team'], owner);
    assert.equal(pod.metadata!.annotations!['example.com/owner'], owner);
  }
});

test('a spread constraint without a labelSelector counts the component’s own pods; one with a selector keeps it', () => {
  const own = podOf('Deployment', 'demo-query').spec!.topologySpreadConstraints![0]!;
  assert.deepEqual(own, {
    ...zone,
    labelSelector: {
      matchLabels: {
        'app.kubernetes.io/name': 'instant-logs',
        'app.kubernetes.io/instance': 'demo',
        'app.kubernetes.io/component': 'query',
      },
    },
  });
  const chosen = { matchLabels: { app: 'other' } };
  const p = pipeline({ query: { pod: { topologySpreadConstraints: [{ ...zone, labelSelector: chosen }] } } });
  assert.deepEqual(podOf('Deployment', 'demo-query', p).spec!.topologySpreadConstraints![0]!.labelSelector, chosen);
});

test('extra pod labels and annotations never replace the operator’s own', () => {
  const p = pipeline({
    collector: {
      pod: {
        labels: { 'app.kubernetes.io/component': 'hijack', 'logging.instantdev.io/pipeline': 'other' },
        annotations: { 'logging.instantdev.io/config-hash': 'forged' },
      },
    },
  });
  const pod = podOf('Deployment', 'demo-collector', p);
  assert.equal(pod.metadata!.labels!['app.kubernetes.io/component'], 'collector');
  assert.equal(pod.metadata!.labels!['logging.instantdev.io/pipeline'], 'demo');
  assert.notEqual(pod.metadata!.annotations!['logging.instantdev.io/config-hash'], 'forged');
  assert.equal(
    pod.metadata!.annotations!['logging.instantdev.io/config-hash'],
    podOf('Deployment', 'demo-collector', pipeline()).metadata!.annotations!['logging.instantdev.io/config-hash'],
  );
});

test('image pull secrets reach every pod, ClickHouse and the setup Job included', () => {
  const objects = desired(pipeline({ images: { pullSecrets: [{ name: 'registry' }] } }), context());
  const pods = workloads(objects);
  assert.equal(pods.length, 6);
  for (const w of pods) assert.deepEqual(templateOf(w).spec!.imagePullSecrets, [{ name: 'registry' }], w.metadata.name);
});

test('without settings no pod carries placement fields', () => {
  for (const w of workloads(desired(pipeline(), context()))) {
    const spec = templateOf(w).spec! as V1PodSpec & Record<string, unknown>;
    for (const field of [
      'nodeSelector',
      'tolerations',
      'affinity',
      'topologySpreadConstraints',
      'priorityClassName',
      'imagePullSecrets',
    ]) {
      assert.equal(spec[field], undefined, `${w.metadata.name}.${field}`);
    }
  }
});

test('Service annotations go on each component’s Services, both of ClickHouse’s, and nowhere else', () => {
  const lb = { 'service.beta.kubernetes.io/aws-load-balancer-type': 'nlb' };
  const objects = desired(
    pipeline({
      collector: { service: { type: 'LoadBalancer', annotations: lb } },
      query: { service: { annotations: { q: '1' } } },
      dashboard: { service: { annotations: { d: '1' } } },
      processor: { service: { annotations: { p: '1' } } },
      clickhouse: { managed: { service: { annotations: { c: '1' } } } },
    }),
    context(),
  );
  const annotations = Object.fromEntries(
    objects.filter((o) => o.kind === 'Service').map((o) => [o.metadata.name, o.metadata.annotations]),
  );
  assert.deepEqual(annotations, {
    'demo-collector': lb,
    'demo-query': { q: '1' },
    'demo-dashboard': { d: '1' },
    'demo-processor': { p: '1' },
    'demo-clickhouse': { c: '1' },
    'demo-clickhouse-headless': { c: '1' },
  });
  assert.equal(
    objects.filter((o) => o.kind !== 'Service' && o.metadata.annotations).length,
    0,
    'no other object is annotated',
  );
});

test('the ClickHouse StatefulSet keeps its volume claims by default, and deletes them when asked', () => {
  const policy = (p = pipeline()) =>
    specOf(find(desired(p, context()), 'StatefulSet', 'demo-clickhouse'))['persistentVolumeClaimRetentionPolicy'];
  assert.deepEqual(policy(), { whenDeleted: 'Retain', whenScaled: 'Retain' });
  assert.deepEqual(
    policy(pipeline({ clickhouse: { managed: { persistentVolumeClaimRetentionPolicy: { whenDeleted: 'Delete' } } } })),
    { whenDeleted: 'Delete', whenScaled: 'Retain' },
  );
});
