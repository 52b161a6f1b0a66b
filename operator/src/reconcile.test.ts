import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import type { ControlPlane } from '@instant-logs/testbed';
import type { KubeClient, KubeObject } from './kube/client.ts';
import { RESOURCES } from './kube/resources.ts';
import { ApplyFailedError, reconcile, type ReconcileDeps } from './reconcile.ts';
import {
  createPipeline as createTestPipeline,
  getPipeline as getTestPipeline,
  installCrd,
  KEDA_SCALED_OBJECT_CRD,
  markEverythingReady,
  startTestCluster,
  until,
  type TestPipeline,
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

type Pipeline = TestPipeline;
const LABEL = 'logging.instantdev.io/pipeline';

const createPipeline = (namespace: string, name: string, spec: Record<string, unknown>) =>
  createTestPipeline(client, namespace, name, spec);
const getPipeline = (namespace: string, name: string) => getTestPipeline(client, namespace, name);
const condition = (p: Pipeline, type: string) => p.status?.conditions?.find((c) => c.type === type);

/** Every object the operator owns in the namespace, as kind/name → resourceVersion. */
async function owned(ns: string, name: string): Promise<Map<string, string>> {
  const out = new Map<string, string>();
  for (const t of [
    RESOURCES.Deployment,
    RESOURCES.StatefulSet,
    RESOURCES.Service,
    RESOURCES.ConfigMap,
    RESOURCES.Secret,
    RESOURCES.PodDisruptionBudget,
    RESOURCES.HorizontalPodAutoscaler,
    RESOURCES.NetworkPolicy,
    RESOURCES.Job,
    RESOURCES.KafkaTopic,
  ]) {
    for (const o of await client.list(t, ns, `${LABEL}=${name}`))
      out.set(`${t.kind}/${o.metadata.name}`, o.metadata.resourceVersion!);
  }
  return out;
}

type Event = KubeObject & {
  type: string;
  reason: string;
  message: string;
  count: number;
  involvedObject: { kind: string; name: string; uid: string };
};
const eventsOf = async (ns: string, name: string) =>
  (await client.list<Event>(RESOURCES.Event, ns)).filter(
    (e) => e.involvedObject.kind === 'LogPipeline' && e.involvedObject.name === name,
  );

const admission = { group: 'admissionregistration.k8s.io', version: 'v1', namespaced: false };
const POLICY = { ...admission, kind: 'ValidatingAdmissionPolicy', plural: 'validatingadmissionpolicies' };
const BINDING = { ...admission, kind: 'ValidatingAdmissionPolicyBinding', plural: 'validatingadmissionpolicybindings' };

/** A ValidatingAdmissionPolicy refusing every StatefulSet in one namespace; resolves once it is in force. */
async function refuseStatefulSets(ns: string): Promise<() => Promise<void>> {
  const name = `no-statefulsets-${ns}`;
  await client.create(POLICY, {
    apiVersion: 'admissionregistration.k8s.io/v1',
    kind: 'ValidatingAdmissionPolicy',
    metadata: { name },
    spec: {
      failurePolicy: 'Fail',
      matchConstraints: {
        resourceRules: [
          { apiGroups: ['apps'], apiVersions: ['v1'], operations: ['CREATE', 'UPDATE'], resources: ['statefulsets'] },
        ],
      },
      validations: [{ expression: 'false', message: 'StatefulSets are not allowed in this namespace' }],
    },
  });
  await client.create(BINDING, {
    apiVersion: 'admissionregistration.k8s.io/v1',
    kind: 'ValidatingAdmissionPolicyBinding',
    metadata: { name },
    spec: {
      policyName: name,
      validationActions: ['Deny'],
      matchResources: { namespaceSelector: { matchLabels: { 'kubernetes.io/metadata.name': ns } } },
    },
  });
  // The API server loads policies asynchronously: probe until a StatefulSet is really refused.
  const probe = {
    apiVersion: 'apps/v1',
    kind: 'StatefulSet',
    metadata: { name: 'probe', namespace: ns },
    spec: {
      serviceName: 'probe',
      selector: { matchLabels: { app: 'probe' } },
      template: { metadata: { labels: { app: 'probe' } }, spec: { containers: [{ name: 'c', image: 'busybox' }] } },
    },
  };
  await until('the policy to refuse StatefulSets', () =>
    client.create(RESOURCES.StatefulSet, probe).then(
      () => client.delete(RESOURCES.StatefulSet, ns, 'probe').then(() => false),
      (err: unknown) => /not allowed/.test(String(err)),
    ),
  );
  return async () => {
    await client.delete(BINDING, undefined, name);
    await client.delete(POLICY, undefined, name);
  };
}

const minimal = { kafka: { cluster: 'kafka', topic: { replicas: 1 } }, clickhouse: { managed: {} } };

describe('reconcile on a real API server', () => {
  test('a new pipeline gets every object, owned and labelled, and becomes Ready as its parts report ready', async () => {
    const ns = await newNamespace();
    const created = await createPipeline(ns, 'shop', minimal);
    await reconcile(deps, ns, 'shop');

    const objects = await owned(ns, 'shop');
    for (const name of [
      'Deployment/shop-collector',
      'Deployment/shop-processor',
      'Deployment/shop-query',
      'Deployment/shop-dashboard',
      'StatefulSet/shop-clickhouse',
      'Service/shop-collector',
      'Service/shop-clickhouse-headless',
      'KafkaTopic/shop-logs',
      'KafkaTopic/shop-dead-letter',
      'HorizontalPodAutoscaler/shop-processor',
      'PodDisruptionBudget/shop-collector',
      'Secret/shop-clickhouse-credentials',
      'NetworkPolicy/shop-clickhouse',
    ]) {
      assert.ok(objects.has(name), `${name} exists`);
    }
    assert.ok([...objects.keys()].some((k) => k.startsWith('Job/shop-setup-')));
    const collector = (await client.get<KubeObject>(RESOURCES.Deployment, ns, 'shop-collector'))!;
    assert.deepEqual(
      collector.metadata.ownerReferences?.map((r) => [r.kind, r.name, r.uid, r.controller]),
      [['LogPipeline', 'shop', created.metadata.uid, true]],
    );
    const topic = (await client.get<KubeObject & { spec: { partitions: number } }>(
      RESOURCES.KafkaTopic,
      ns,
      'shop-logs',
    ))!;
    assert.equal(topic.metadata.labels?.['strimzi.io/cluster'], 'kafka');
    assert.equal(topic.spec.partitions, 6);

    let p = await getPipeline(ns, 'shop');
    assert.equal(p.status?.observedGeneration, 1);
    assert.equal(condition(p, 'Ready')?.status, 'False');
    assert.equal(condition(p, 'CollectorReady')?.reason, 'Unavailable');
    assert.equal(p.status?.topics?.logs, 'shop-logs');

    await markEverythingReady(client, ns, 'shop');
    await reconcile(deps, ns, 'shop');
    p = await getPipeline(ns, 'shop');
    for (const type of [
      'Ready',
      'KafkaTopicReady',
      'CollectorReady',
      'ProcessorReady',
      'ClickHouseReady',
      'QueryReady',
    ])
      assert.equal(condition(p, type)?.status, 'True', type);
    assert.equal(p.status?.endpoints?.collector, `http://shop-collector.${ns}.svc:8081`);
  });

  test('a second reconcile of an unchanged pipeline changes no resourceVersion', async () => {
    const ns = await newNamespace();
    await createPipeline(ns, 'still', minimal);
    await reconcile(deps, ns, 'still');
    await markEverythingReady(client, ns, 'still');
    await reconcile(deps, ns, 'still');
    const before = await owned(ns, 'still');
    const pipelineVersion = (await getPipeline(ns, 'still')).metadata.resourceVersion;
    const result = await reconcile(deps, ns, 'still');
    assert.deepEqual(result.changed, []);
    assert.deepEqual(await owned(ns, 'still'), before);
    assert.equal((await getPipeline(ns, 'still')).metadata.resourceVersion, pipelineVersion);
  });

  test('updates change objects, and what is no longer wanted is pruned', async () => {
    const ns = await newNamespace();
    await createPipeline(ns, 'edit', minimal);
    await reconcile(deps, ns, 'edit');
    const oldJob = [...(await owned(ns, 'edit')).keys()].find((k) => k.startsWith('Job/'))!;
    const p = await getPipeline(ns, 'edit');
    await client.replace(RESOURCES.LogPipeline, {
      ...p,
      spec: {
        ...minimal,
        kafka: { cluster: 'kafka', topic: { replicas: 1, partitions: 12 } },
        dashboard: { enabled: false },
        retentionDays: 7,
      },
    });
    await reconcile(deps, ns, 'edit');
    const after = await owned(ns, 'edit');
    assert.equal(
      (await client.get<KubeObject & { spec: { partitions: number } }>(RESOURCES.KafkaTopic, ns, 'edit-logs'))?.spec
        .partitions,
      12,
    );
    assert.ok(!after.has('Deployment/edit-dashboard') && !after.has('Service/edit-dashboard'), 'dashboard removed');
    assert.ok(!after.has(oldJob), 'the old setup Job is pruned');
    assert.ok(
      [...after.keys()].some((k) => k.startsWith('Job/edit-setup-')),
      'a new setup Job for the new retention',
    );
    assert.equal((await getPipeline(ns, 'edit')).status?.observedGeneration, 2);
  });

  test('a missing Secret makes the pipeline not Ready with a reason, and creating it lets it proceed', async () => {
    const ns = await newNamespace();
    await createPipeline(ns, 'keys', { ...minimal, collector: { apiKeysSecretRef: { name: 'ingest-keys' } } });
    const result = await reconcile(deps, ns, 'keys');
    let p = await getPipeline(ns, 'keys');
    assert.equal(condition(p, 'Ready')?.reason, 'SecretNotFound');
    assert.match(condition(p, 'Ready')!.message, /ingest-keys/);
    assert.ok(result.requeueAfterMs, 'it looks again later');
    assert.equal((await owned(ns, 'keys')).size, 0, 'nothing is created for a pipeline that cannot work');
    await client.create(RESOURCES.Secret, {
      apiVersion: 'v1',
      kind: 'Secret',
      metadata: { name: 'ingest-keys', namespace: ns },
      data: { 'api-keys': Buffer.from('k-0123456789abcdef:team').toString('base64') },
    });
    await reconcile(deps, ns, 'keys');
    p = await getPipeline(ns, 'keys');
    assert.notEqual(condition(p, 'Ready')?.reason, 'SecretNotFound');
    const collector = (await client.get<
      KubeObject & { spec: { template: { spec: { containers: { env: { name: string; valueFrom?: unknown }[] }[] } } } }
    >(RESOURCES.Deployment, ns, 'keys-collector'))!;
    assert.deepEqual(collector.spec.template.spec.containers[0]!.env.find((e) => e.name === 'API_KEYS')?.valueFrom, {
      secretKeyRef: { name: 'ingest-keys', key: 'api-keys' },
    });
  });

  test('keys file, TLS, tenants and syslog reconcile into mounts, env and a tenants ConfigMap; a tenants edit rolls only the collector', async () => {
    const ns = await newNamespace();
    const secret = (name: string, data: Record<string, string>) =>
      client.create(RESOURCES.Secret, {
        apiVersion: 'v1',
        kind: 'Secret',
        metadata: { name, namespace: ns },
        data: Object.fromEntries(Object.entries(data).map(([k, v]) => [k, Buffer.from(v).toString('base64')])),
      });
    await secret('hashed-keys', { 'keys.json': '{"version":1,"keys":[]}' });
    await secret('web-tls', { 'tls.crt': 'cert', 'tls.key': 'key', 'ca.crt': 'ca' });
    const spec = {
      ...minimal,
      auth: { keysSecretRef: { name: 'hashed-keys' } },
      tls: { secretName: 'web-tls', clientAuth: 'require' },
      tenants: [{ name: 'team-a', recordsPerSecond: 100 }],
      tenantDefaults: { recordsPerSecond: 1000 },
      collector: { syslog: { enabled: true } },
    };
    await createPipeline(ns, 'sec', spec);
    await reconcile(deps, ns, 'sec');

    type Pod = {
      metadata: { annotations: Record<string, string> };
      spec: {
        volumes: { name: string }[];
        containers: { env: { name: string; value?: string }[]; ports: { name: string; protocol: string }[] }[];
      };
    };
    const template = async (name: string) =>
      (await client.get<KubeObject & { spec: { template: Pod } }>(RESOURCES.Deployment, ns, name))!.spec.template;
    const envOf = (pod: Pod) => Object.fromEntries(pod.spec.containers[0]!.env.map((e) => [e.name, e.value]));
    const collector = await template('sec-collector');
    assert.deepEqual(collector.spec.volumes.map((v) => v.name).sort(), ['api-keys', 'tenants', 'tls', 'tmp']);
    assert.equal(envOf(collector)['API_KEYS_FILE'], '/etc/instant-logs/keys/keys.json');
    assert.equal(envOf(collector)['TLS_CLIENT_AUTH'], 'require');
    assert.equal(envOf(collector)['TENANTS_FILE'], '/etc/instant-logs/tenants/tenants.json');
    assert.equal(envOf(collector)['SYSLOG_TCP_PORT'], '5514');
    assert.deepEqual(
      collector.spec.containers[0]!.ports.map((p) => `${p.name}/${p.protocol}`),
      ['http/TCP', 'probe/TCP', 'syslog-tcp/TCP', 'syslog-udp/UDP'],
    );
    const query = await template('sec-query');
    assert.deepEqual(query.spec.volumes.map((v) => v.name).sort(), ['api-keys', 'tls', 'tmp']);
    assert.equal(envOf(query)['TLS_CLIENT_AUTH'], undefined);
    const tenantsOf = async () =>
      JSON.parse(
        (await client.get<KubeObject & { data: Record<string, string> }>(RESOURCES.ConfigMap, ns, 'sec-tenants'))!.data[
          'tenants.json'
        ]!,
      ) as unknown;
    assert.deepEqual(await tenantsOf(), {
      defaults: { recordsPerSecond: 1000 },
      tenants: { 'team-a': { recordsPerSecond: 100 } },
    });
    assert.match((await getPipeline(ns, 'sec')).status!.endpoints!.collector!, /^https:\/\/sec-collector\./);

    await markEverythingReady(client, ns, 'sec');
    await reconcile(deps, ns, 'sec');
    const before = await owned(ns, 'sec');
    assert.deepEqual(
      (await reconcile(deps, ns, 'sec')).changed,
      [],
      'a second reconcile of the unchanged pipeline writes nothing',
    );
    assert.deepEqual(await owned(ns, 'sec'), before);

    const hash = (pod: Pod) => pod.metadata.annotations['logging.instantdev.io/tenants-hash'];
    const p = await getPipeline(ns, 'sec');
    await client.replace(RESOURCES.LogPipeline, {
      ...p,
      spec: { ...spec, tenants: [{ name: 'team-a', recordsPerSecond: 200 }] },
    });
    const { changed } = await reconcile(deps, ns, 'sec');
    assert.ok(
      changed.includes('ConfigMap/sec-tenants') && changed.includes('Deployment/sec-collector'),
      changed.join(', '),
    );
    assert.ok(
      !changed.includes('Deployment/sec-query') && !changed.includes('Deployment/sec-processor'),
      changed.join(', '),
    );
    assert.deepEqual(await tenantsOf(), {
      defaults: { recordsPerSecond: 1000 },
      tenants: { 'team-a': { recordsPerSecond: 200 } },
    });
    assert.notEqual(hash(await template('sec-collector')), hash(collector));
  });

  test('a missing key in the TLS Secret blocks the pipeline, naming tls.secretName and the key', async () => {
    const ns = await newNamespace();
    await client.create(RESOURCES.Secret, {
      apiVersion: 'v1',
      kind: 'Secret',
      metadata: { name: 'web-tls', namespace: ns },
      data: { 'tls.crt': 'Yw==', 'tls.key': 'aw==' },
    });
    await createPipeline(ns, 'noca', { ...minimal, tls: { secretName: 'web-tls', clientAuth: 'optional' } });
    await reconcile(deps, ns, 'noca');
    const ready = condition(await getPipeline(ns, 'noca'), 'Ready')!;
    assert.equal(ready.reason, 'SecretKeyNotFound');
    assert.match(ready.message, /tls.secretName: .*web-tls has no key "ca.crt"/);
  });

  test('an object an admission policy refuses is named in Ready and an Event, the others are applied, and without the policy the pipeline becomes Ready', async () => {
    const ns = await newNamespace();
    const allow = await refuseStatefulSets(ns);
    await createPipeline(ns, 'guarded', minimal);
    const refused = (err: unknown) =>
      err instanceof ApplyFailedError &&
      err.failures.map((f) => `${f.kind}/${f.name}`).join() === 'StatefulSet/guarded-clickhouse';
    await assert.rejects(reconcile(deps, ns, 'guarded'), refused);

    const ready = condition(await getPipeline(ns, 'guarded'), 'Ready')!;
    assert.equal(ready.status, 'False');
    assert.equal(ready.reason, 'ApplyFailed');
    assert.match(ready.message, /^StatefulSet guarded-clickhouse: .*StatefulSets are not allowed in this namespace/);
    const objects = await owned(ns, 'guarded');
    assert.ok(!objects.has('StatefulSet/guarded-clickhouse'));
    // Applied in desired() order both before and after the refused StatefulSet.
    for (const name of [
      'Secret/guarded-clickhouse-credentials',
      'Service/guarded-clickhouse-headless',
      'Deployment/guarded-collector',
      'Deployment/guarded-processor',
      'Deployment/guarded-query',
      'Deployment/guarded-dashboard',
      'KafkaTopic/guarded-logs',
      'NetworkPolicy/guarded-clickhouse',
    ]) {
      assert.ok(objects.has(name), `${name} was applied despite the refusal`);
    }
    assert.ok([...objects.keys()].some((k) => k.startsWith('Job/guarded-setup-')));
    let events = await eventsOf(ns, 'guarded');
    const failed = events.filter((e) => e.reason === 'ApplyFailed');
    assert.equal(failed.length, 1);
    assert.equal(failed[0]!.type, 'Warning');
    assert.match(failed[0]!.message, /^StatefulSet guarded-clickhouse: .*not allowed/);

    // Failing again counts on the same Event rather than adding one per retry.
    await assert.rejects(reconcile(deps, ns, 'guarded'), refused);
    events = await eventsOf(ns, 'guarded');
    assert.deepEqual(
      events.filter((e) => e.reason === 'ApplyFailed').map((e) => e.count),
      [2],
    );

    await allow();
    await until('the StatefulSet to be applied once the policy is gone', () =>
      reconcile(deps, ns, 'guarded').then(
        () => true,
        () => false,
      ),
    );
    assert.ok((await owned(ns, 'guarded')).has('StatefulSet/guarded-clickhouse'));
    await markEverythingReady(client, ns, 'guarded');
    await reconcile(deps, ns, 'guarded');
    assert.equal(condition(await getPipeline(ns, 'guarded'), 'Ready')?.status, 'True');
    const readyEvents = (await eventsOf(ns, 'guarded')).filter((e) => e.reason === 'Ready');
    assert.deepEqual(
      readyEvents.map((e) => [e.type, e.count]),
      [['Normal', 1]],
    );
    // Nothing changed, nothing announced: a second pass writes neither objects nor Events.
    const before = await client.list(RESOURCES.Event, ns);
    assert.deepEqual((await reconcile(deps, ns, 'guarded')).changed, []);
    assert.deepEqual(
      (await client.list(RESOURCES.Event, ns)).map((e) => e.metadata.resourceVersion),
      before.map((e) => e.metadata.resourceVersion),
    );
  });

  test('the managed ClickHouse password is generated once and kept', async () => {
    const ns = await newNamespace();
    await createPipeline(ns, 'pw', minimal);
    await reconcile(deps, ns, 'pw');
    await reconcile({ ...deps, newPassword: () => 'a-different-password' }, ns, 'pw');
    const secret = (await client.get<KubeObject & { data: Record<string, string> }>(
      RESOURCES.Secret,
      ns,
      'pw-clickhouse-credentials',
    ))!;
    assert.equal(Buffer.from(secret.data['password']!, 'base64').toString(), 'generated-password-1');
  });

  test('deleting the managed credentials Secret makes a new password and rolls ClickHouse, the processor and the query service onto it', async () => {
    const ns = await newNamespace();
    await createPipeline(ns, 'rotate', minimal);
    await reconcile(deps, ns, 'rotate');
    type Workload = KubeObject & { spec: { template: { metadata: { annotations?: Record<string, string> } } } };
    const readers = [
      [RESOURCES.StatefulSet, 'rotate-clickhouse'],
      [RESOURCES.Deployment, 'rotate-processor'],
      [RESOURCES.Deployment, 'rotate-query'],
    ] as const;
    const hashes = async () =>
      Promise.all(
        readers.map(
          async ([t, name]) =>
            (await client.get<Workload>(t, ns, name))!.spec.template.metadata.annotations?.[
              'logging.instantdev.io/credentials-hash'
            ],
        ),
      );
    const before = await hashes();
    assert.ok(before[0] && before.every((h) => h === before[0]), before.join());
    const collector = (await client.get<KubeObject>(RESOURCES.Deployment, ns, 'rotate-collector'))!.metadata
      .resourceVersion;

    await client.delete(RESOURCES.Secret, ns, 'rotate-clickhouse-credentials');
    await reconcile({ ...deps, newPassword: () => 'generated-password-2' }, ns, 'rotate');
    const secret = (await client.get<KubeObject & { data: Record<string, string> }>(
      RESOURCES.Secret,
      ns,
      'rotate-clickhouse-credentials',
    ))!;
    assert.equal(Buffer.from(secret.data['password']!, 'base64').toString(), 'generated-password-2');
    const after = await hashes();
    assert.ok(after[0] && after[0] !== before[0] && after.every((h) => h === after[0]), after.join());
    assert.equal(
      (await client.get<KubeObject>(RESOURCES.Deployment, ns, 'rotate-collector'))!.metadata.resourceVersion,
      collector,
      'the collector never reads it',
    );
    assert.deepEqual(
      (await reconcile({ ...deps, newPassword: () => 'never-used' }, ns, 'rotate')).changed,
      [],
      'and then it stays',
    );
  });

  test('with KEDA installed the processor scales on lag with a ScaledObject and the CPU autoscaler goes', async () => {
    const ns = await newNamespace();
    await createPipeline(ns, 'scale', minimal);
    await reconcile(deps, ns, 'scale');
    assert.ok((await owned(ns, 'scale')).has('HorizontalPodAutoscaler/scale-processor'));
    await installCrd(client, KEDA_SCALED_OBJECT_CRD);
    await reconcile(deps, ns, 'scale');
    const scaled = await client.get<
      KubeObject & { spec: { triggers: { type: string; metadata: Record<string, string> }[]; maxReplicaCount: number } }
    >(RESOURCES.ScaledObject, ns, 'scale-processor');
    assert.equal(scaled?.spec.triggers[0]?.type, 'kafka');
    assert.equal(scaled?.spec.triggers[0]?.metadata['lagThreshold'], '10000');
    assert.equal(scaled?.spec.maxReplicaCount, 6);
    assert.ok(
      !(await owned(ns, 'scale')).has('HorizontalPodAutoscaler/scale-processor'),
      'never two autoscalers for one Deployment',
    );
  });

  test('pod placement, pull secrets, Service annotations and the volume claim policy go through the CRD onto objects the API server accepts, and stay put', async () => {
    const ns = await newNamespace();
    const pod = {
      nodeSelector: { 'kubernetes.io/os': 'linux' },
      tolerations: [{ key: 'dedicated', operator: 'Equal', value: 'logs', effect: 'NoSchedule' }],
      affinity: {
        podAntiAffinity: {
          preferredDuringSchedulingIgnoredDuringExecution: [
            {
              weight: 100,
              podAffinityTerm: {
                topologyKey: 'kubernetes.io/hostname',
                labelSelector: { matchLabels: { tier: 'logs' } },
              },
            },
          ],
        },
      },
      topologySpreadConstraints: [
        { maxSkew: 1, topologyKey: 'topology.kubernetes.io/zone', whenUnsatisfiable: 'ScheduleAnyway' },
      ],
      priorityClassName: 'system-cluster-critical',
      annotations: { 'example.com/team': 'logs' },
      labels: { tier: 'logs' },
    };
    await createPipeline(ns, 'placed', {
      ...minimal,
      images: { pullSecrets: [{ name: 'registry' }] },
      collector: { pod, service: { annotations: { 'example.com/lb': 'internal' } } },
      processor: { pod },
      query: { pod },
      dashboard: { pod },
      clickhouse: {
        managed: {
          pod,
          service: { annotations: { 'example.com/ch': 'yes' } },
          persistentVolumeClaimRetentionPolicy: { whenDeleted: 'Delete' },
        },
      },
    });
    // It throws ApplyFailedError if the API server refuses any object (a malformed toleration or affinity).
    await reconcile(deps, ns, 'placed');

    type Template = {
      metadata: { labels: Record<string, string>; annotations: Record<string, string> };
      spec: Record<string, unknown>;
    };
    const templates = [
      ...(await client.list<KubeObject & { spec: { template: Template } }>(
        RESOURCES.Deployment,
        ns,
        `${LABEL}=placed`,
      )),
      ...(await client.list<KubeObject & { spec: { template: Template } }>(
        RESOURCES.StatefulSet,
        ns,
        `${LABEL}=placed`,
      )),
      ...(await client.list<KubeObject & { spec: { template: Template } }>(RESOURCES.Job, ns, `${LABEL}=placed`)),
    ];
    assert.equal(templates.length, 6);
    for (const w of templates) {
      const { metadata, spec } = w.spec.template;
      assert.deepEqual(spec['nodeSelector'], pod.nodeSelector, w.metadata.name);
      assert.deepEqual(spec['tolerations'], pod.tolerations, w.metadata.name);
      assert.deepEqual(spec['affinity'], pod.affinity, w.metadata.name);
      assert.equal(spec['priorityClassName'], 'system-cluster-critical', w.metadata.name);
      assert.deepEqual(spec['imagePullSecrets'], [{ name: 'registry' }], w.metadata.name);
      assert.equal(
        (spec['topologySpreadConstraints'] as { labelSelector: { matchLabels: Record<string, string> } }[])[0]!
          .labelSelector.matchLabels['app.kubernetes.io/component'],
        metadata.labels['app.kubernetes.io/component'],
      );
      assert.equal(metadata.labels['tier'], 'logs');
      assert.equal(metadata.annotations['example.com/team'], 'logs');
    }
    const annotationsOf = async (name: string) =>
      (await client.get<KubeObject>(RESOURCES.Service, ns, name))!.metadata.annotations;
    assert.equal((await annotationsOf('placed-collector'))?.['example.com/lb'], 'internal');
    assert.equal((await annotationsOf('placed-clickhouse-headless'))?.['example.com/ch'], 'yes');
    const sts = (await client.get<KubeObject & { spec: { persistentVolumeClaimRetentionPolicy: unknown } }>(
      RESOURCES.StatefulSet,
      ns,
      'placed-clickhouse',
    ))!;
    assert.deepEqual(sts.spec.persistentVolumeClaimRetentionPolicy, { whenDeleted: 'Delete', whenScaled: 'Retain' });

    await markEverythingReady(client, ns, 'placed');
    await reconcile(deps, ns, 'placed');
    const before = await owned(ns, 'placed');
    assert.deepEqual((await reconcile(deps, ns, 'placed')).changed, []);
    assert.deepEqual(await owned(ns, 'placed'), before);
  });

  test('deleting the pipeline lets the garbage collector remove everything it owned', async () => {
    await plane.startControllerManager();
    const ns = await newNamespace();
    await createPipeline(ns, 'gone', minimal);
    await reconcile(deps, ns, 'gone');
    assert.ok((await owned(ns, 'gone')).size > 10);
    await client.delete(RESOURCES.LogPipeline, ns, 'gone');
    await until('owned objects to be collected', async () => (await owned(ns, 'gone')).size === 0, 60_000);
    assert.deepEqual((await reconcile(deps, ns, 'gone')).changed, []);
  });
});
