import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { promisify } from 'node:util';
import {
  ApiException,
  ApiextensionsV1Api,
  CoreV1Api,
  CustomObjectsApi,
  PatchStrategy,
  setHeaderOptions,
  type V1CustomResourceDefinition,
} from '@kubernetes/client-node';
import { startControlPlane, type ControlPlane, waitUntil } from '@instant-logs/testbed';
import { logPipelineCrd } from './crd.ts';
import { LOG_PIPELINE_RESOURCE, LogPipeline, LogPipelineSpec, type LogPipelineSpecInput } from './log-pipeline.ts';

const { group, version, plural, apiVersion, kind } = LOG_PIPELINE_RESOURCE;
const MANAGER = 'crd-validation-test';
const SSA = setHeaderOptions('Content-Type', PatchStrategy.ServerSideApply);
const MERGE = setHeaderOptions('Content-Type', PatchStrategy.MergePatch);

const minimal: LogPipelineSpecInput = { kafka: { cluster: 'logs' }, clickhouse: { managed: {} } };
const full: LogPipelineSpecInput = {
  kafka: {
    bootstrapServers: 'kafka-0.kafka:9092,kafka-1.kafka:9092',
    topic: { name: 'web-logs', partitions: 12, replicas: 2, retentionHours: 48, compression: 'zstd' },
    deadLetterTopic: { name: 'web-logs-dlq', partitions: 2, retentionHours: 336 },
  },
  collector: {
    replicas: 3,
    resources: { requests: { cpu: '200m', memory: '256Mi' }, limits: { cpu: '2', memory: '1Gi' } },
    apiKeysSecretRef: { name: 'collector-keys', key: 'keys' },
    service: { type: 'LoadBalancer', port: 443 },
    syslog: { enabled: true, tcpPort: 6514, tenant: 'network' },
    pod: {
      nodeSelector: { 'node.example.com/pool': 'ingest' },
      tolerations: [
        { key: 'dedicated', operator: 'Equal', value: 'ingest', effect: 'NoSchedule' },
        { operator: 'Exists', effect: 'NoExecute', tolerationSeconds: 30 },
      ],
      affinity: {
        nodeAffinity: {
          requiredDuringSchedulingIgnoredDuringExecution: {
            nodeSelectorTerms: [{ matchExpressions: [{ key: 'arch', operator: 'In', values: ['amd64'] }] }],
          },
        },
      },
      topologySpreadConstraints: [
        {
          maxSkew: 1,
          topologyKey: 'topology.kubernetes.io/zone',
          whenUnsatisfiable: 'DoNotSchedule',
          matchLabelKeys: ['pod-template-hash'],
        },
      ],
      priorityClassName: 'logs-critical',
      annotations: { 'example.com/scrape': 'true' },
      labels: { team: 'platform' },
    },
  },
  auth: { keysSecretRef: { name: 'hashed-keys' } },
  tls: { secretName: 'web-tls', clientAuth: 'optional' },
  tenants: [
    { name: 'team-a', retentionDays: 7, recordsPerSecond: 500 },
    { name: 'team_b', bytesPerSecond: 1048576, burstSeconds: 10 },
  ],
  tenantDefaults: { recordsPerSecond: 1000 },
  processor: { minReplicas: 2, maxReplicas: 12, lagThreshold: 5000, batch: { maxRows: 100000, maxWaitMs: 500 } },
  clickhouse: {
    external: {
      url: 'https://clickhouse.example.com:8443',
      database: 'logs',
      credentialsSecretRef: { name: 'clickhouse', usernameKey: 'user', passwordKey: 'pass' },
    },
  },
  retentionDays: 90,
  query: {
    enabled: true,
    replicas: 3,
    corsOrigins: ['https://grafana.example.com'],
    service: { annotations: { 'example.com/internal': 'true' } },
  },
  dashboard: { enabled: false },
  images: {
    collector: 'registry.example.com/instant-logs-collector:0.1.0',
    pullPolicy: 'Always',
    pullSecrets: [{ name: 'registry' }],
  },
};

/** A deep copy of `base` with `value` at the dotted `path`. */
function withValue<T extends object>(base: T, path: string, value: unknown): T {
  const copy = structuredClone(base) as Record<string, unknown>;
  const keys = path.split('.');
  let node = copy;
  for (const key of keys.slice(0, -1)) node = (node[key] ??= {}) as Record<string, unknown>;
  node[keys.at(-1)!] = value;
  return copy as T;
}

// [what, spec, name, the field both the API server and zod must name, what the API server's message must say]
const invalid: [string, LogPipelineSpecInput, string, string, RegExp][] = [
  [
    'a string where an integer belongs',
    withValue(minimal, 'collector.replicas', 'two'),
    'p',
    'spec.collector.replicas',
    /must be of type integer/,
  ],
  [
    'an unknown enum value',
    withValue(minimal, 'kafka.topic.compression', 'brotli'),
    'p',
    'spec.kafka.topic.compression',
    /Unsupported value: "brotli": supported values: "producer", "gzip"/,
  ],
  [
    'an unknown Service type',
    withValue(minimal, 'collector.service.type', 'ExternalName'),
    'p',
    'spec.collector.service.type',
    /Unsupported value: "ExternalName"/,
  ],
  [
    'zero partitions',
    withValue(minimal, 'kafka.topic.partitions', 0),
    'p',
    'spec.kafka.topic.partitions',
    /should be greater than or equal to 1/,
  ],
  [
    'retention beyond ten years',
    withValue(minimal, 'retentionDays', 4000),
    'p',
    'spec.retentionDays',
    /should be less than or equal to 3650/,
  ],
  [
    'two managed ClickHouse replicas without a Keeper',
    withValue(minimal, 'clickhouse.managed.replicas', 2),
    'p',
    'spec.clickhouse.managed.keeper',
    /replicas above 1 need keeper/,
  ],
  [
    'a Keeper both named and run',
    withValue(withValue(minimal, 'clickhouse.managed.replicas', 2), 'clickhouse.managed.keeper', {
      nodes: ['k:9181'],
      managed: {},
    }),
    'p',
    'spec.clickhouse.managed.keeper',
    /exactly one of keeper.nodes or keeper.managed/,
  ],
  [
    'a managed Keeper of an even size',
    withValue(withValue(minimal, 'clickhouse.managed.replicas', 2), 'clickhouse.managed.keeper', {
      managed: { replicas: 4 },
    }),
    'p',
    'spec.clickhouse.managed.keeper.managed.replicas',
    /replicas must be odd/,
  ],
  [
    'a managed Keeper for unreplicated shards',
    withValue(minimal, 'clickhouse.managed.keeper', { managed: {} }),
    'p',
    'spec.clickhouse.managed.keeper.managed',
    /keeper.managed serves replicated shards/,
  ],
  [
    'four managed ClickHouse replicas',
    withValue(withValue(minimal, 'clickhouse.managed.replicas', 4), 'clickhouse.managed.keeper', { nodes: ['k:9181'] }),
    'p',
    'spec.clickhouse.managed.replicas',
    /should be less than or equal to 3/,
  ],
  [
    'a malformed quantity',
    withValue(minimal, 'processor.resources.limits.memory', 'lots'),
    'p',
    'spec.processor.resources.limits.memory',
    /should match/,
  ],
  [
    'a non-HTTP ClickHouse URL',
    { ...minimal, clickhouse: { external: { url: 'tcp://ch:9000', credentialsSecretRef: { name: 'ch' } } } },
    'p',
    'spec.clickhouse.external.url',
    /should match/,
  ],
  [
    'a spec without kafka',
    { clickhouse: { managed: {} } } as LogPipelineSpecInput,
    'p',
    'spec.kafka',
    /Required value/,
  ],
  [
    'both Kafka sources',
    withValue(minimal, 'kafka.bootstrapServers', 'kafka:9092'),
    'p',
    'spec.kafka',
    /exactly one of cluster or bootstrapServers must be set/,
  ],
  [
    'no Kafka source',
    withValue(minimal, 'kafka', {}),
    'p',
    'spec.kafka',
    /exactly one of cluster or bootstrapServers must be set/,
  ],
  [
    'both ClickHouse kinds',
    withValue(minimal, 'clickhouse.external', { url: 'http://ch:8123', credentialsSecretRef: { name: 'ch' } }),
    'p',
    'spec.clickhouse',
    /exactly one of managed or external must be set/,
  ],
  [
    'no ClickHouse kind',
    withValue(minimal, 'clickhouse', {}),
    'p',
    'spec.clickhouse',
    /exactly one of managed or external must be set/,
  ],
  [
    'minReplicas above maxReplicas',
    withValue(minimal, 'processor', { minReplicas: 5, maxReplicas: 4 }),
    'p',
    'spec.processor.minReplicas',
    /minReplicas must not exceed maxReplicas/,
  ],
  [
    'maxReplicas above the partitions',
    withValue(minimal, 'processor.maxReplicas', 7),
    'p',
    'spec.processor.maxReplicas',
    /processor.maxReplicas must not exceed kafka.topic.partitions/,
  ],
  [
    'a dashboard without the query service',
    withValue(minimal, 'query.enabled', false),
    'p',
    'spec.dashboard.enabled',
    /dashboard.enabled needs query.enabled/,
  ],
  [
    'a CPU request above its limit',
    withValue(minimal, 'query.resources.requests.cpu', '1500m'),
    'p',
    'spec.query.resources.requests.cpu',
    /requests.cpu must not exceed limits.cpu/,
  ],
  [
    'a memory request above a defaulted limit',
    withValue(minimal, 'clickhouse.managed.resources.requests.memory', '8Gi'),
    'p',
    'spec.clickhouse.managed.resources.requests.memory',
    /requests.memory must not exceed limits.memory/,
  ],
  [
    'a whole-number CPU request above its string limit',
    withValue(minimal, 'query.resources.requests.cpu', 4),
    'p',
    'spec.query.resources.requests.cpu',
    /requests.cpu must not exceed limits.cpu/,
  ],
  [
    'a negative number as a quantity',
    withValue(minimal, 'collector.resources.limits.memory', -1),
    'p',
    'spec.collector.resources.limits.memory',
    /should be greater than or equal to 0/,
  ],
  [
    'a fraction as a number (write "0.5" or 500m)',
    withValue(minimal, 'collector.resources.limits.cpu', 0.5),
    'p',
    'spec.collector.resources.limits.cpu',
    /must be of type integer|must be an integer/,
  ],
  [
    'an unknown toleration operator',
    withValue(minimal, 'collector.pod', { tolerations: [{ operator: 'Maybe' }] }),
    'p',
    'spec.collector.pod.tolerations[0].operator',
    /Unsupported value: "Maybe"/,
  ],
  [
    'a spread constraint without a topology key',
    withValue(minimal, 'query.pod', {
      topologySpreadConstraints: [{ maxSkew: 1, whenUnsatisfiable: 'DoNotSchedule' }],
    }),
    'p',
    'spec.query.pod.topologySpreadConstraints[0].topologyKey',
    /Required value/,
  ],
  [
    'a volume claim policy other than Retain or Delete',
    withValue(minimal, 'clickhouse.managed', { persistentVolumeClaimRetentionPolicy: { whenDeleted: 'Archive' } }),
    'p',
    'spec.clickhouse.managed.persistentVolumeClaimRetentionPolicy.whenDeleted',
    /Unsupported value: "Archive"/,
  ],
  [
    'one name for the logs and dead-letter topics',
    withValue(withValue(minimal, 'kafka.topic.name', 'logs'), 'kafka.deadLetterTopic.name', 'logs'),
    'p',
    'spec.kafka.deadLetterTopic.name',
    /deadLetterTopic.name must differ from topic.name/,
  ],
  [
    'a name too long to derive object names from',
    minimal,
    'p'.repeat(41),
    'metadata.name',
    /metadata.name must be a DNS label of at most 40 characters/,
  ],
  ['a name with a dot', minimal, 'web.logs', 'metadata.name', /metadata.name must be a DNS label/],
  [
    'client certificates without a TLS Secret',
    withValue(minimal, 'tls', { clientAuth: 'require' }),
    'p',
    'spec.tls.clientAuth',
    /clientAuth other than none needs secretName/,
  ],
  [
    'a syslog TCP port on the HTTP port',
    withValue(minimal, 'collector.syslog', { enabled: true, tcpPort: 8081 }),
    'p',
    'spec.collector.syslog.tcpPort',
    /syslog.tcpPort must differ/,
  ],
  [
    'a tenant name with a dot',
    withValue(minimal, 'tenants', [{ name: 'team.a' }]),
    'p',
    'spec.tenants[0].name',
    /should match/,
  ],
];

describe('LogPipeline CRD on a real API server', () => {
  let cp: ControlPlane;
  let objects: CustomObjectsApi;
  let namespace: string;
  let counter = 0;

  // Its own timeout: hooks get the runner's --test-timeout, and a cold cache builds the control-plane binaries.
  before(
    async () => {
      cp = await startControlPlane();
      objects = cp.kubeConfig.makeApiClient(CustomObjectsApi);
      const crds = cp.kubeConfig.makeApiClient(ApiextensionsV1Api);
      const crd = logPipelineCrd();
      await crds.patchCustomResourceDefinition(
        { name: crd.metadata.name, body: crd as V1CustomResourceDefinition, fieldManager: MANAGER, force: true },
        SSA,
      );
      await waitUntil('the CRD is Established', async () => {
        const live = await crds.readCustomResourceDefinition({ name: crd.metadata.name });
        return live.status?.conditions?.some((c) => c.type === 'Established' && c.status === 'True') === true;
      });
      const ns = await cp.kubeConfig
        .makeApiClient(CoreV1Api)
        .createNamespace({ body: { metadata: { generateName: 'lp-' } } });
      namespace = ns.metadata!.name!;
    },
    { timeout: 60 * 60_000 },
  );
  after(() => cp?.stop());

  const create = (spec: unknown, name = `p${++counter}`) =>
    objects.createNamespacedCustomObject({
      group,
      version,
      namespace,
      plural,
      body: { apiVersion, kind, metadata: { name }, spec },
    }) as Promise<{ spec: unknown }>;

  it('accepts a minimal LogPipeline and fills in exactly the defaults the zod parse does', async () => {
    const created = await create(minimal);
    const spec = created.spec as Record<string, Record<string, unknown>>;
    assert.equal(spec.collector!.replicas, 2);
    assert.deepEqual(spec.processor!.batch, { maxRows: 50000, maxWaitMs: 200 });
    assert.equal((spec.clickhouse!.managed as { storage: { size: string } }).storage.size, '50Gi');
    assert.equal(spec.retentionDays, 30);
    assert.equal(spec.images!.pullPolicy, 'IfNotPresent');
    assert.deepEqual(created.spec, LogPipelineSpec.parse(minimal));
  });

  it('accepts a full LogPipeline and stores what the zod parse makes of it', async () => {
    const created = await create(full);
    assert.deepEqual(created.spec, LogPipelineSpec.parse(full));
  });

  it('accepts quantities written as whole numbers, stores them as written and compares them with strings', async () => {
    const spec = withValue(
      withValue(withValue(minimal, 'processor.resources.requests.cpu', 2), 'processor.resources.limits.cpu', '2500m'),
      'clickhouse.managed',
      { resources: { requests: { memory: 1073741824 }, limits: { memory: '2Gi' } }, storage: { size: 10737418240 } },
    );
    const created = (await create(spec)) as { spec: { processor: { resources: { requests: { cpu: unknown } } } } };
    assert.equal(created.spec.processor.resources.requests.cpu, 2);
    assert.deepEqual(created.spec, LogPipelineSpec.parse(spec));
    // 2 ≤ 2500m passed; 3 > 2500m does not, on either side.
    const over = withValue(spec, 'processor.resources.requests.cpu', 3);
    await assert.rejects(
      create(over),
      (e: unknown) => e instanceof ApiException && /requests.cpu must not exceed limits.cpu/.test(e.body as string),
    );
    assert.equal(LogPipelineSpec.safeParse(over).success, false);
  });

  for (const [what, spec, name, field, message] of invalid) {
    it(`rejects ${what} with 422 naming ${field}, as zod does`, async (t) => {
      const error = await create(spec, name === 'p' ? undefined : name).then(
        () => undefined,
        (e: unknown) => e,
      );
      assert.ok(error instanceof ApiException, `expected the API server to reject it, got ${String(error)}`);
      const status = JSON.parse(error.body as string) as { code: number; message: string };
      assert.equal(status.code, 422);
      t.diagnostic(status.message);
      assert.ok(status.message.includes(`${field}: `), status.message);
      assert.match(status.message, message);

      const parsed = LogPipeline.safeParse({ apiVersion, kind, metadata: { name: name === 'p' ? 'p' : name }, spec });
      // The API server writes list indexes as [0], zod as .0.
      assert.ok(
        parsed.error?.issues.some((i) => i.path.join('.') === field.replace(/\[(\d+)\]/g, '.$1')),
        `zod: ${JSON.stringify(parsed.error?.issues ?? 'accepted')}`,
      );
    });
  }

  it('refuses two tenants of one name, as zod does', async () => {
    const spec = withValue(minimal, 'tenants', [{ name: 'a' }, { name: 'a', recordsPerSecond: 5 }]);
    const error = await create(spec).then(
      () => undefined,
      (e: unknown) => e,
    );
    assert.ok(error instanceof ApiException && error.code === 422, String(error));
    assert.match(error.body as string, /spec.tenants\[1\]: Duplicate value/);
    assert.equal(LogPipelineSpec.safeParse(spec).success, false);
  });

  it('lets the storage size of a managed ClickHouse change, and refuses a new or added storage class', async () => {
    const name = `p${++counter}`;
    await create(minimal, name);
    const patch = (storage: object) =>
      objects.patchNamespacedCustomObject(
        { group, version, namespace, plural, name, body: { spec: { clickhouse: { managed: { storage } } } } },
        MERGE,
      );
    const refusal = (storage: object) =>
      patch(storage).then(
        () => undefined,
        (e: unknown) => e,
      );
    const grown = (await patch({ size: '100Gi' })) as { spec: { clickhouse: { managed: { storage: object } } } };
    assert.deepEqual(grown.spec.clickhouse.managed.storage, { size: '100Gi' });
    const added = await refusal({ storageClassName: 'fast' });
    assert.ok(added instanceof ApiException && added.code === 422, String(added));
    assert.match(added.body as string, /spec.clickhouse.managed.storage.storageClassName: .*cannot be set or unset/);

    const classed = `p${++counter}`;
    await create(withValue(minimal, 'clickhouse.managed.storage', { size: '1Gi', storageClassName: 'slow' }), classed);
    const moved = await objects
      .patchNamespacedCustomObject(
        {
          group,
          version,
          namespace,
          plural,
          name: classed,
          body: { spec: { clickhouse: { managed: { storage: { storageClassName: 'fast' } } } } },
        },
        MERGE,
      )
      .then(
        () => undefined,
        (e: unknown) => e,
      );
    assert.ok(moved instanceof ApiException && moved.code === 422, String(moved));
    assert.match(moved.body as string, /storageClassName: .*storageClassName is immutable/);
  });

  it('lets managed ClickHouse shards grow and refuses fewer', async () => {
    const name = `p${++counter}`;
    await create(withValue(minimal, 'clickhouse.managed.shards', 2), name);
    const patch = (shards: number) =>
      objects.patchNamespacedCustomObject(
        { group, version, namespace, plural, name, body: { spec: { clickhouse: { managed: { shards } } } } },
        MERGE,
      );
    const error = await patch(1).then(
      () => undefined,
      (e: unknown) => e,
    );
    assert.ok(error instanceof ApiException && error.code === 422, String(error));
    assert.match(error.body as string, /spec.clickhouse.managed.shards: .*shards cannot be reduced/);
    const grown = (await patch(3)) as { spec: { clickhouse: { managed: { shards: number } } } };
    assert.equal(grown.spec.clickhouse.managed.shards, 3);
  });

  it('takes a status through the status subresource and prints it in kubectl get columns', async () => {
    const name = `p${++counter}`;
    await create(minimal, name);
    const status = {
      observedGeneration: 1,
      conditions: [
        {
          type: 'Ready',
          status: 'True',
          reason: 'Reconciled',
          message: 'All components ready',
          lastTransitionTime: new Date().toISOString().replace(/\.\d+Z$/, 'Z'),
          observedGeneration: 1,
        },
      ],
      endpoints: { collector: `http://${name}-collector.${namespace}:8081` },
      topics: { logs: `${namespace}.${name}.logs` },
      clickhouse: 'managed',
    };
    const body = { apiVersion, kind, metadata: { name }, status };
    await objects.patchNamespacedCustomObjectStatus(
      { group, version, namespace, plural, name, body, fieldManager: MANAGER, force: true },
      SSA,
    );
    const { stdout } = await kubectl('get', 'lp', name, '-n', namespace, '-o', 'wide');
    const [header, row] = stdout.trim().split('\n');
    assert.match(header!, /^NAME\s+READY\s+KAFKA TOPIC\s+CLICKHOUSE\s+REASON\s+COLLECTOR\s+AGE$/);
    assert.match(
      row!,
      new RegExp(`^${name}\\s+True\\s+${namespace}\\.${name}\\.logs\\s+managed\\s+Reconciled\\s+http://`),
    );
  });

  it('answers kubectl explain with the schema descriptions', async () => {
    let out = '';
    // The API server publishes a new CRD's OpenAPI a moment after it is Established.
    await waitUntil('kubectl explain knows LogPipeline', async () => {
      out = await kubectl('explain', 'logpipelines.spec.clickhouse.managed.replicas').then(
        (r) => r.stdout,
        () => '',
      );
      return out !== '';
    });
    assert.match(out, /Above 1 needs keeper/);
    const processor = (await kubectl('explain', 'lp.spec.processor')).stdout;
    assert.match(processor, /lagThreshold\s+<integer>/);
    assert.match(processor, /Consumer lag \(records\) per replica/);
  });

  function kubectl(...args: string[]): Promise<{ stdout: string }> {
    return promisify(execFile)(join(cp.binDir, 'kubectl'), args, {
      env: { ...process.env, KUBECONFIG: cp.kubeconfigPath },
    });
  }
});
