import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import {
  LOG_PIPELINE_RESOURCE,
  LogPipeline,
  LogPipelineSpec,
  LogPipelineStatus,
  PipelineConditionType,
  quantityValue,
  type LogPipelineSpecInput,
} from './log-pipeline.ts';

const minimal: LogPipelineSpecInput = { kafka: { cluster: 'logs' }, clickhouse: { managed: {} } };

/** A deep copy of `base` with `value` at the dotted `path`. */
function withValue(base: object, path: string, value: unknown): Record<string, unknown> {
  const copy = structuredClone(base) as Record<string, unknown>;
  const keys = path.split('.');
  let node = copy;
  for (const key of keys.slice(0, -1)) node = (node[key] ??= {}) as Record<string, unknown>;
  node[keys.at(-1)!] = value;
  return copy;
}

function issuesOf(spec: unknown): { path: string; message: string }[] {
  const result = LogPipelineSpec.safeParse(spec);
  return result.success ? [] : result.error.issues.map((i) => ({ path: i.path.join('.'), message: i.message }));
}

describe('LogPipelineSpec', () => {
  it('fills every default into a minimal spec', () => {
    const spec = LogPipelineSpec.parse(minimal);
    assert.deepEqual(spec.kafka.topic, { partitions: 6, replicas: 3, retentionHours: 24, compression: 'producer' });
    assert.deepEqual(spec.kafka.deadLetterTopic, { partitions: 1, retentionHours: 168 });
    assert.equal(spec.collector.replicas, 2);
    assert.deepEqual(spec.collector.service, { type: 'ClusterIP', port: 8081 });
    assert.equal(spec.collector.apiKeysSecretRef, undefined);
    assert.deepEqual(
      [spec.processor.minReplicas, spec.processor.maxReplicas, spec.processor.lagThreshold],
      [1, 6, 10000],
    );
    assert.deepEqual(spec.processor.batch, { maxRows: 50000, maxWaitMs: 200 });
    assert.deepEqual(spec.clickhouse.managed, {
      shards: 1,
      replicas: 1,
      storage: { size: '50Gi' },
      image: 'clickhouse/clickhouse-server:25.8',
      resources: { requests: { cpu: '500m', memory: '2Gi' }, limits: { cpu: '2', memory: '4Gi' } },
      persistentVolumeClaimRetentionPolicy: { whenDeleted: 'Retain', whenScaled: 'Retain' },
    });
    assert.equal(spec.retentionDays, 30);
    assert.deepEqual(
      [spec.query.enabled, spec.query.replicas, spec.dashboard.enabled, spec.dashboard.replicas],
      [true, 2, true, 1],
    );
    assert.equal(spec.images.collector, 'ghcr.io/instantdev/instant-logs-collector:0.1.0');
    assert.equal(spec.images.pullPolicy, 'IfNotPresent');
  });

  it('leaves keys files, TLS, tenants, syslog and CORS off by default', () => {
    const spec = LogPipelineSpec.parse(minimal);
    assert.deepEqual(spec.auth, {});
    assert.deepEqual(spec.tls, { clientAuth: 'none' });
    assert.deepEqual(spec.tenants, []);
    assert.equal(spec.tenantDefaults, undefined);
    assert.deepEqual(spec.collector.syslog, { enabled: false, tcpPort: 5514, udpPort: 5514, tenant: 'default' });
    assert.deepEqual(spec.query.corsOrigins, []);
  });

  it('defaults the keys file Secret key to keys.json', () => {
    assert.deepEqual(
      LogPipelineSpec.parse(withValue(minimal, 'auth.keysSecretRef', { name: 'keys' })).auth.keysSecretRef,
      { name: 'keys', key: 'keys.json' },
    );
  });

  it('keeps the defaults of fields a partial object leaves out', () => {
    const spec = LogPipelineSpec.parse(withValue(minimal, 'processor.resources.limits.memory', '2Gi'));
    assert.deepEqual(spec.processor.resources, {
      requests: { cpu: '250m', memory: '256Mi' },
      limits: { cpu: '2', memory: '2Gi' },
    });
  });

  it('fills the defaults of an external ClickHouse and its credentials', () => {
    const spec = LogPipelineSpec.parse({
      kafka: { bootstrapServers: 'kafka-0:9092,kafka-1:9092' },
      clickhouse: { external: { url: 'https://ch.example.com:8443', credentialsSecretRef: { name: 'ch' } } },
    });
    assert.deepEqual(spec.clickhouse.external, {
      url: 'https://ch.example.com:8443',
      database: 'instant_logs',
      credentialsSecretRef: { name: 'ch', usernameKey: 'username', passwordKey: 'password' },
    });
  });

  const rejected: [string, unknown, string, RegExp][] = [
    [
      'both Kafka sources',
      withValue(minimal, 'kafka.bootstrapServers', 'k:9092'),
      'kafka',
      /exactly one of cluster or bootstrapServers/,
    ],
    ['no Kafka source', withValue(minimal, 'kafka', {}), 'kafka', /exactly one of cluster or bootstrapServers/],
    [
      'both ClickHouse kinds',
      withValue(minimal, 'clickhouse.external', { url: 'http://ch:8123', credentialsSecretRef: { name: 'ch' } }),
      'clickhouse',
      /exactly one of managed or external/,
    ],
    ['no ClickHouse kind', withValue(minimal, 'clickhouse', {}), 'clickhouse', /exactly one of managed or external/],
    [
      'minReplicas above maxReplicas',
      withValue(minimal, 'processor', { minReplicas: 5, maxReplicas: 4 }),
      'processor.minReplicas',
      /minReplicas must not exceed maxReplicas/,
    ],
    [
      'maxReplicas above partitions',
      withValue(minimal, 'processor.maxReplicas', 7),
      'processor.maxReplicas',
      /must not exceed kafka.topic.partitions/,
    ],
    [
      'a dashboard without the query service',
      withValue(minimal, 'query.enabled', false),
      'dashboard.enabled',
      /dashboard.enabled needs query.enabled/,
    ],
    [
      'a request above its limit',
      withValue(minimal, 'collector.resources.requests.memory', '2Gi'),
      'collector.resources.requests.memory',
      /requests.memory must not exceed limits.memory/,
    ],
    [
      'one topic for logs and dead letters',
      withValue(withValue(minimal, 'kafka.topic.name', 't'), 'kafka.deadLetterTopic.name', 't'),
      'kafka.deadLetterTopic.name',
      /must differ/,
    ],
    [
      'a malformed quantity',
      withValue(minimal, 'collector.resources.requests.cpu', 'lots'),
      'collector.resources.requests.cpu',
      /Kubernetes quantity/,
    ],
    [
      'two managed ClickHouse replicas without a Keeper',
      withValue(minimal, 'clickhouse.managed.replicas', 2),
      'clickhouse.managed.keeper',
      /need keeper/,
    ],
    [
      'a Keeper both named and run',
      withValue(withValue(minimal, 'clickhouse.managed.replicas', 2), 'clickhouse.managed.keeper', {
        nodes: ['k:9181'],
        managed: {},
      }),
      'clickhouse.managed.keeper',
      /exactly one of keeper.nodes or keeper.managed/,
    ],
    [
      'a managed Keeper of an even size',
      withValue(withValue(minimal, 'clickhouse.managed.replicas', 2), 'clickhouse.managed.keeper', {
        managed: { replicas: 2 },
      }),
      'clickhouse.managed.keeper.managed.replicas',
      /must be odd/,
    ],
    [
      'a Keeper node without a port',
      withValue(withValue(minimal, 'clickhouse.managed.replicas', 2), 'clickhouse.managed.keeper', {
        nodes: ['keeper-0'],
      }),
      'clickhouse.managed.keeper.nodes.0',
      /host:port/,
    ],
    [
      'an unknown compression',
      withValue(minimal, 'kafka.topic.compression', 'brotli'),
      'kafka.topic.compression',
      /producer/,
    ],
    ['retention beyond ten years', withValue(minimal, 'retentionDays', 3651), 'retentionDays', /<=3650/],
    [
      'client certificates without a TLS Secret',
      withValue(minimal, 'tls.clientAuth', 'require'),
      'tls.clientAuth',
      /needs secretName/,
    ],
    [
      'an unknown clientAuth',
      withValue(minimal, 'tls', { secretName: 't', clientAuth: 'always' }),
      'tls.clientAuth',
      /none/,
    ],
    [
      'two tenants of one name',
      withValue(minimal, 'tenants', [{ name: 'a' }, { name: 'a', recordsPerSecond: 5 }]),
      'tenants',
      /unique/,
    ],
    [
      'a tenant name with a dot',
      withValue(minimal, 'tenants', [{ name: 'team.a' }]),
      'tenants.0.name',
      /letters, digits/,
    ],
    [
      'a tenant name of 65 characters',
      withValue(minimal, 'tenants', [{ name: 'a'.repeat(65) }]),
      'tenants.0.name',
      /1 to 64/,
    ],
    [
      'a zero rate',
      withValue(minimal, 'tenantDefaults', { recordsPerSecond: 0 }),
      'tenantDefaults.recordsPerSecond',
      />=1/,
    ],
    [
      'a syslog TCP port on the HTTP port',
      withValue(minimal, 'collector.syslog', { enabled: true, tcpPort: 8081 }),
      'collector.syslog.tcpPort',
      /must differ/,
    ],
    [
      'a syslog TCP port on the Service port',
      withValue(minimal, 'collector', { service: { port: 6000 }, syslog: { enabled: true, tcpPort: 6000 } }),
      'collector.syslog.tcpPort',
      /must differ/,
    ],
    [
      'a privileged syslog port',
      withValue(minimal, 'collector.syslog', { enabled: true, udpPort: 514 }),
      'collector.syslog.udpPort',
      />=1024/,
    ],
    [
      'a CORS origin with a path',
      withValue(minimal, 'query.corsOrigins', ['https://app.example.com/x']),
      'query.corsOrigins.0',
      /origin/,
    ],
    [
      'a CORS origin holding a comma',
      withValue(minimal, 'query.corsOrigins', ['https://a.com,https://b.com']),
      'query.corsOrigins.0',
      /origin/,
    ],
    [
      'a dashboard address that is not an http(s) URL',
      withValue(minimal, 'dashboard.publicUrl', 'javascript:alert(1)'),
      'dashboard.publicUrl',
      /http/,
    ],
  ];
  for (const [what, spec, path, message] of rejected) {
    it(`rejects ${what}, naming ${path}`, () => {
      const issues = issuesOf(spec);
      assert.ok(
        issues.some((i) => i.path === path && message.test(i.message)),
        JSON.stringify(issues),
      );
    });
  }
});

describe('quantityValue', () => {
  const cases: [string, number][] = [
    ['500m', 0.5],
    ['2', 2],
    ['1.5', 1.5],
    ['512Mi', 512 * 2 ** 20],
    ['4Gi', 4 * 2 ** 30],
    ['1G', 1e9],
    ['2e3', 2000],
    ['.5', 0.5],
  ];
  for (const [quantity, value] of cases)
    it(`reads ${quantity} as ${value}`, () => assert.equal(quantityValue(quantity), value));
  it('answers NaN for what is not a quantity', () => assert.ok(Number.isNaN(quantityValue('1 Gi'))));
  it('orders 1Gi above 1G, as Kubernetes does', () => assert.ok(quantityValue('1Gi') > quantityValue('1G')));
});

describe('LogPipelineStatus', () => {
  const condition = {
    type: PipelineConditionType.Ready,
    status: 'True',
    reason: 'Reconciled',
    message: '',
    lastTransitionTime: '2026-01-02T03:04:05Z',
    observedGeneration: 3,
  };

  it('accepts metav1.Condition-shaped conditions', () => {
    const status = LogPipelineStatus.parse({
      observedGeneration: 3,
      conditions: [condition],
      endpoints: { collector: 'http://p-collector.ns:8081' },
    });
    assert.equal(status.conditions?.[0]?.type, 'Ready');
  });

  it('rejects two conditions of one type', () => {
    assert.equal(LogPipelineStatus.safeParse({ conditions: [condition, condition] }).success, false);
  });

  it('rejects a reason that is not CamelCase-shaped', () => {
    assert.equal(LogPipelineStatus.safeParse({ conditions: [{ ...condition, reason: 'not ready' }] }).success, false);
  });
});

describe('LogPipeline', () => {
  const resource = {
    apiVersion: LOG_PIPELINE_RESOURCE.apiVersion,
    kind: 'LogPipeline',
    metadata: { name: 'web', namespace: 'logs' },
    spec: minimal,
  };

  it('parses a resource as read from the API server', () => {
    assert.equal(LogPipeline.parse(resource).spec.collector.replicas, 2);
  });

  for (const name of ['a'.repeat(41), 'web.logs', '1web']) {
    it(`rejects the name ${name.length > 20 ? `of ${name.length} characters` : name}: the operator derives object names from it`, () => {
      const result = LogPipeline.safeParse(withValue(resource, 'metadata.name', name));
      assert.deepEqual(
        result.error?.issues.map((i) => i.path.join('.')),
        ['metadata.name'],
      );
    });
  }
});

describe('LogPipelineSpec access settings', () => {
  it('accepts a disabled syslog on the HTTP port: the rule guards only a listener that runs', () => {
    assert.deepEqual(issuesOf(withValue(minimal, 'collector.syslog', { enabled: false, tcpPort: 8081 })), []);
  });

  it('accepts * and origins with a port as CORS origins', () => {
    assert.deepEqual(issuesOf(withValue(minimal, 'query.corsOrigins', ['*', 'http://localhost:5173'])), []);
  });
});

describe('LogPipelineSpec managed Keeper', () => {
  it('fills a managed Keeper with three servers, the official image and a 10Gi volume', () => {
    const spec = LogPipelineSpec.parse(
      withValue(withValue(minimal, 'clickhouse.managed.replicas', 2), 'clickhouse.managed.keeper', { managed: {} }),
    );
    const keeper = spec.clickhouse.managed!.keeper!.managed!;
    assert.equal(keeper.replicas, 3);
    assert.equal(keeper.image, 'clickhouse/clickhouse-keeper:25.8');
    assert.equal(keeper.storage.size, '10Gi');
    assert.equal(spec.clickhouse.managed!.keeper!.nodes, undefined);
  });
});
