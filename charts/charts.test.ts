import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { cp, mkdir, mkdtemp, readdir, readFile, rm, writeFile } from 'node:fs/promises';
import { existsSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { dump, load, loadAll } from 'js-yaml';
import { ensureKubeBinaries, startControlPlane, type ControlPlane } from '@instant-logs/testbed';
import { PORTS } from '../operator/src/desired/context.ts';
import { APP_UID } from '../operator/src/desired/pod.ts';
import { SETUP_COMMAND } from '../operator/src/desired/setup.ts';
import { operatorRules } from '../operator/src/rbac.ts';
import { driftedChartFiles } from '../scripts/chart-sync.ts';
import { contentSecurityPolicy } from '@instant-logs/service-kit';

// The charts, images, kind and skaffold files, checked with the real helm and kubectl of the test
// bed and on its real kube-apiserver (no kubelet: nothing runs, and nothing waits for pods).
const ROOT = fileURLToPath(new URL('../', import.meta.url));
const OPERATOR = join(ROOT, 'charts/instant-logs-operator');
const PIPELINE = join(ROOT, 'charts/instant-logs-pipeline');
const MONITORING = ['--api-versions', 'monitoring.coreos.com/v1'];

interface Obj {
  apiVersion: string;
  kind: string;
  metadata: { name: string; namespace?: string; labels?: Record<string, string>; annotations?: Record<string, string> };
  [k: string]: any;
}
interface Run {
  code: number;
  out: string;
  err: string;
}

let bin: string;
let env: NodeJS.ProcessEnv;
let plane: ControlPlane | undefined;

before(
  async () => {
    bin = await ensureKubeBinaries();
    // Its own HOME: no discovery cache or helm settings of the user's leak in or out.
    env = { ...process.env, HOME: await mkdtemp(join(tmpdir(), 'charts-test-')) };
  },
  { timeout: 60 * 60_000 },
);
after(async () => {
  await plane?.stop();
  if (env?.['HOME']) await rm(env['HOME'], { recursive: true, force: true });
});

function tool(name: 'helm' | 'kubectl', args: string[], stdin?: string): Promise<Run> {
  return new Promise((resolve, reject) => {
    const child = spawn(join(bin, name), args, { env, stdio: ['pipe', 'pipe', 'pipe'] });
    let out = '';
    let err = '';
    child.stdout.setEncoding('utf8').on('data', (s: string) => (out += s));
    child.stderr.setEncoding('utf8').on('data', (s: string) => (err += s));
    child.once('error', reject);
    child.once('close', (code) => resolve({ code: code ?? -1, out, err }));
    child.stdin.end(stdin ?? '');
  });
}

async function ok(name: 'helm' | 'kubectl', args: string[], stdin?: string): Promise<string> {
  const r = await tool(name, args, stdin);
  assert.equal(r.code, 0, `${name} ${args.join(' ')} failed:\n${r.err}${r.out}`);
  return r.out;
}

const parse = (yaml: string): Obj[] => (loadAll(yaml) as (Obj | null)[]).filter((o): o is Obj => o !== null);
const render = async (chart: string, ...args: string[]) =>
  parse(await ok('helm', ['template', 'logs', chart, ...args]));
const renderError = async (chart: string, ...args: string[]) => {
  const r = await tool('helm', ['template', 'logs', chart, ...args]);
  assert.notEqual(r.code, 0, `expected helm template ${args.join(' ')} to fail`);
  return r.err;
};
const ofKind = (objs: Obj[], kind: string) => objs.filter((o) => o.kind === kind);
const one = (objs: Obj[], kind: string, name?: string): Obj => {
  const found = objs.filter((o) => o.kind === kind && (name === undefined || o.metadata.name === name));
  assert.equal(
    found.length,
    1,
    `one ${kind}${name ? ` ${name}` : ''} among ${objs.map((o) => `${o.kind}/${o.metadata.name}`).join(', ')}`,
  );
  return found[0]!;
};
const envOf = (deployment: Obj) =>
  Object.fromEntries(
    deployment['spec'].template.spec.containers[0].env.map((e: any) => [e.name, e.value ?? e.valueFrom]),
  );
const sortRules = (rules: any[]) => rules.map((r) => JSON.stringify(r)).sort();

describe('operator chart', () => {
  test('helm lint passes for both charts with every ci values file', async () => {
    for (const chart of [OPERATOR, PIPELINE]) {
      const files = (await readdir(join(chart, 'ci'))).filter((f) => f.endsWith('-values.yaml'));
      for (const f of [undefined, ...files])
        await ok('helm', ['lint', '--strict', chart, ...(f ? ['-f', join(chart, 'ci', f)] : [])]);
    }
  });

  test('defaults: one replica with leader election, pod identity from the downward API, probes, a hardened pod', async () => {
    const objs = await render(OPERATOR, '-n', 'ops');
    const d = one(objs, 'Deployment');
    const pod = d['spec'].template.spec;
    assert.equal(d['spec'].replicas, 1);
    assert.deepEqual(envOf(d), {
      HOST: '0.0.0.0',
      PORT: '8080',
      WATCH_NAMESPACE: '',
      LEADER_ELECTION: 'true',
      WORKERS: '2',
      RESYNC_SECONDS: '300',
      LOG_LEVEL: 'info',
      POD_NAMESPACE: { fieldRef: { fieldPath: 'metadata.namespace' } },
      POD_NAME: { fieldRef: { fieldPath: 'metadata.name' } },
    });
    assert.equal(pod.containers[0].image, 'ghcr.io/instantdev/instant-logs-operator:0.1.0');
    assert.equal(pod.containers[0].livenessProbe.httpGet.path, '/healthz');
    assert.equal(pod.containers[0].readinessProbe.httpGet.path, '/readyz');
    assert.equal(pod.securityContext.runAsUser, APP_UID);
    assert.deepEqual(pod.containers[0].securityContext, {
      allowPrivilegeEscalation: false,
      readOnlyRootFilesystem: true,
      capabilities: { drop: ['ALL'] },
    });
    assert.equal(pod.serviceAccountName, one(objs, 'ServiceAccount').metadata.name);
    assert.deepEqual(
      [pod.automountServiceAccountToken, one(objs, 'ServiceAccount')['automountServiceAccountToken']],
      [true, false],
      'only this pod mounts the token',
    );
    assert.equal(one(objs, 'Service').spec.ports[0].targetPort, 'http');
    for (const kind of ['ServiceMonitor', 'PrometheusRule', 'ConfigMap', 'PodDisruptionBudget'])
      assert.equal(ofKind(objs, kind).length, 0, kind);
  });

  test('HA values: two replicas spread over nodes with a PodDisruptionBudget; without leader election they are refused', async () => {
    const objs = await render(OPERATOR, '-f', join(OPERATOR, 'ci/ha-values.yaml'));
    assert.equal(one(objs, 'Deployment')['spec'].replicas, 2);
    assert.ok(one(objs, 'Deployment')['spec'].template.spec.affinity.podAntiAffinity);
    assert.equal(one(objs, 'PodDisruptionBudget')['spec'].minAvailable, 1);
    assert.match(
      await renderError(OPERATOR, '--set', 'replicaCount=2,leaderElection.enabled=false'),
      /replicaCount > 1 needs leaderElection\.enabled=true/,
    );
  });

  test('RBAC: the generated rules, cluster-wide or in the watched namespace, and Leases only in the release namespace', async () => {
    const objs = await render(OPERATOR, '-n', 'ops');
    const cluster = one(objs, 'ClusterRole', 'logs-instant-logs-operator');
    const lease = one(objs, 'Role');
    assert.equal(lease.metadata.namespace, 'ops');
    assert.deepEqual(sortRules([...cluster['rules'], ...lease['rules']]), sortRules(operatorRules()));
    assert.deepEqual(lease['rules'].map((r: any) => r.resources).flat(), ['leases']);
    assert.equal(one(objs, 'ClusterRoleBinding').roleRef.name, cluster.metadata.name);
    const watched = await render(OPERATOR, '-n', 'ops', '-f', join(OPERATOR, 'ci/watch-namespace-values.yaml'));
    assert.equal(ofKind(watched, 'ClusterRoleBinding').length, 0);
    const binding = one(watched, 'RoleBinding', 'logs-instant-logs-operator');
    assert.deepEqual(
      [binding.metadata.namespace, binding['roleRef'].kind, binding['subjects'][0].namespace],
      ['logs', 'ClusterRole', 'ops'],
    );
    assert.equal(envOf(one(watched, 'Deployment'))['WATCH_NAMESPACE'], 'logs');
  });

  test('the chart carries the generated CRD and RBAC rules unchanged (make charts)', async () => {
    assert.deepEqual(await driftedChartFiles(), []);
  });

  test('monitoring objects render only where monitoring.coreos.com/v1 is served; rules and dashboards come whole from files/', async () => {
    const values = ['-f', join(OPERATOR, 'ci/monitoring-values.yaml')];
    const without = await render(OPERATOR, ...values);
    assert.deepEqual([...ofKind(without, 'ServiceMonitor'), ...ofKind(without, 'PrometheusRule')], []);
    const objs = await render(OPERATOR, ...values, ...MONITORING);
    const monitor = one(objs, 'ServiceMonitor');
    assert.equal(monitor.metadata.labels?.['release'], 'kube-prometheus-stack');
    assert.deepEqual(monitor['spec'].endpoints, [{ port: 'http', path: '/metrics', interval: '30s' }]);
    assert.deepEqual(monitor['spec'].selector.matchLabels, one(objs, 'Service')['spec'].selector);
    const ruleFiles = await globFiles(join(OPERATOR, 'files/rules'), /\.ya?ml$/);
    const groups = ruleFiles.flatMap(([, text]) => (load(text) as { groups?: unknown[] } | null)?.groups ?? []);
    assert.deepEqual(
      ofKind(objs, 'PrometheusRule').flatMap((r) => r['spec'].groups),
      groups,
    );
    const dashboards = await globFiles(join(OPERATOR, 'files/dashboards'), /\.json$/);
    const maps = ofKind(objs, 'ConfigMap');
    assert.equal(maps.length, dashboards.length);
    for (const [file, text] of dashboards) {
      const key = file.replace(/[^-._a-zA-Z0-9]+/g, '-');
      const map = maps.find((m) => m['data']?.[key] !== undefined);
      assert.ok(map, `a ConfigMap holds ${file}`);
      assert.deepEqual(JSON.parse(map['data'][key]), JSON.parse(text));
      assert.equal(map.metadata.labels?.['grafana_dashboard'], '1');
      assert.equal(map.metadata.annotations?.['grafana_folder'], 'Instant Dev Logs');
    }
  });

  test('dashboards and rules are found by glob: none before files/ exists, each after; promtool test files are skipped', async () => {
    const copy = await mkdtemp(join(tmpdir(), 'operator-chart-'));
    try {
      await cp(OPERATOR, copy, {
        recursive: true,
        filter: (src) => !/^\/files(\/|$)/.test(src.slice(OPERATOR.length)),
      });
      const flags = ['--set', 'grafanaDashboards.enabled=true,prometheusRule.enabled=true', ...MONITORING];
      assert.deepEqual(
        (await render(copy, ...flags)).filter((o) => ['ConfigMap', 'PrometheusRule'].includes(o.kind)),
        [],
      );
      await mkdir(join(copy, 'files/dashboards'), { recursive: true });
      await mkdir(join(copy, 'files/rules'), { recursive: true });
      await writeFile(
        join(copy, 'files/dashboards/Ingest Overview.json'),
        JSON.stringify({ title: 'Ingest {{ not a template }}' }),
      );
      await writeFile(
        join(copy, 'files/rules/ingest.yaml'),
        dump({
          groups: [
            { name: 'g', rules: [{ alert: 'A', expr: 'up == 0', annotations: { summary: '{{ $labels.job }} down' } }] },
          ],
        }),
      );
      await writeFile(join(copy, 'files/rules/ingest.test.yaml'), dump({ rule_files: ['ingest.yaml'], tests: [] }));
      const objs = await render(copy, ...flags);
      assert.deepEqual(
        JSON.parse(
          one(objs, 'ConfigMap', 'logs-instant-logs-operator-dashboard-ingest-overview')['data'][
            'Ingest-Overview.json'
          ],
        ),
        { title: 'Ingest {{ not a template }}' },
      );
      assert.equal(
        one(objs, 'PrometheusRule', 'logs-instant-logs-operator-ingest')['spec'].groups[0].rules[0].annotations.summary,
        '{{ $labels.job }} down',
      );
      await writeFile(join(copy, 'files/dashboards/broken.json'), '{"title": ');
      assert.match(await renderError(copy, ...flags), /files\/dashboards\/broken\.json is not valid JSON/);
    } finally {
      await rm(copy, { recursive: true, force: true });
    }
  });

  test('values.schema.json rejects bad values with their path and reason', async () => {
    const cases: [string, RegExp][] = [
      ['replicaCount=two', /at '\/replicaCount': got string, want integer/],
      [
        'image.pullPolicy=Sometimes',
        /at '\/image\/pullPolicy': value must be one of 'Always', 'IfNotPresent', 'Never'/,
      ],
      ['leaderElection.enable=true', /at '\/leaderElection': additional properties 'enable' not allowed/],
      ['serviceMonitor.interval=soon', /at '\/serviceMonitor\/interval'/],
      ['resources.limits.memory=lots', /at '\/resources\/limits\/memory'/],
      ['logLevel=verbose', /at '\/logLevel'/],
    ];
    for (const [set, message] of cases) assert.match(await renderError(OPERATOR, '--set', set), message, set);
  });
});

describe('pipeline chart', () => {
  const pipelineOf = (objs: Obj[]) => one(objs, 'LogPipeline', 'logs');

  test('a pipeline needs a Kafka: the defaults say the three ways to give one', async () => {
    assert.match(
      await renderError(PIPELINE),
      /needs a Kafka: set kafka\.cluster .*, kafka\.bootstrapServers, or kafka\.strimzi\.create=true/,
    );
    assert.match(
      await renderError(PIPELINE, '--set', 'kafka.cluster=a,kafka.bootstrapServers=b:9092'),
      /set only one of kafka\.cluster and kafka\.bootstrapServers/,
    );
  });

  test('Strimzi values: a KRaft Kafka with a dual-role node pool, kafka.strimzi.io/v1 unless only v1beta2 is served', async () => {
    const values = ['-f', join(PIPELINE, 'ci/strimzi-values.yaml')];
    for (const [apiVersions, want] of [
      [[], 'v1'],
      [['kafka.strimzi.io/v1'], 'v1'],
      [['kafka.strimzi.io/v1beta2'], 'v1beta2'],
      [['kafka.strimzi.io/v1', 'kafka.strimzi.io/v1beta2'], 'v1'],
    ] as const) {
      const objs = await render(PIPELINE, ...values, ...apiVersions.flatMap((v) => ['--api-versions', v]));
      const kafka = one(objs, 'Kafka', 'logs-kafka');
      const pool = one(objs, 'KafkaNodePool');
      assert.equal(kafka.apiVersion, `kafka.strimzi.io/${want}`, apiVersions.join(','));
      assert.equal(pool.apiVersion, kafka.apiVersion);
      assert.equal(kafka.metadata.annotations?.['strimzi.io/kraft'], want === 'v1beta2' ? 'enabled' : undefined);
      assert.equal(pool.metadata.labels?.['strimzi.io/cluster'], 'logs-kafka');
      assert.deepEqual([pool['spec'].replicas, pool['spec'].roles], [3, ['controller', 'broker']]);
      assert.deepEqual(pool['spec'].storage.volumes, [
        { id: 0, type: 'persistent-claim', size: '20Gi', class: 'fast', deleteClaim: false, kraftMetadata: 'shared' },
      ]);
      assert.deepEqual(kafka['spec'].kafka.listeners, [{ name: 'plain', port: 9092, type: 'internal', tls: false }]);
      assert.equal(kafka['spec'].kafka.config['min.insync.replicas'], 2);
      assert.deepEqual(kafka['spec'].entityOperator, { topicOperator: {} });
      assert.deepEqual(
        [pipelineOf(objs)['spec'].kafka.cluster, pipelineOf(objs)['spec'].kafka.topic.replicas],
        ['logs-kafka', 3],
      );
    }
    assert.match(
      await renderError(PIPELINE, ...values, '--set', 'kafka.strimzi.replicas=1,kafka.topic.replicas=3'),
      /kafka\.topic\.replicas \(3\) exceeds kafka\.strimzi\.replicas \(1\)/,
    );
  });

  test('external ClickHouse values: the spec holds external and bootstrapServers only, and no Kafka is made', async () => {
    const objs = await render(PIPELINE, '-f', join(PIPELINE, 'ci/external-clickhouse-values.yaml'));
    const spec = pipelineOf(objs)['spec'];
    assert.deepEqual(spec.clickhouse, {
      external: {
        url: 'https://clickhouse.example.com:8443',
        database: 'logs',
        credentialsSecretRef: { name: 'clickhouse-credentials' },
      },
    });
    assert.deepEqual(
      [spec.kafka.bootstrapServers, spec.kafka.cluster, spec.kafka.strimzi],
      ['kafka-0.kafka.svc:9092,kafka-1.kafka.svc:9092', undefined, undefined],
    );
    assert.deepEqual(
      objs.map((o) => o.kind),
      ['LogPipeline'],
    );
  });

  test('KEDA: requireKeda fails without keda.sh/v1alpha1 and renders the lag settings with it', async () => {
    const values = ['-f', join(PIPELINE, 'ci/keda-values.yaml')];
    assert.match(
      await renderError(PIPELINE, ...values),
      /requireKeda is true but the cluster does not serve keda\.sh\/v1alpha1/,
    );
    const spec = pipelineOf(await render(PIPELINE, ...values, '--api-versions', 'keda.sh/v1alpha1'))['spec'];
    assert.deepEqual(spec.processor, { minReplicas: 2, maxReplicas: 12, lagThreshold: 5000 });
    assert.equal(
      pipelineOf(await render(PIPELINE, ...values, '--set', 'requireKeda=false'))['spec'].processor.lagThreshold,
      5000,
    );
  });

  test('kind values: fixed node ports matching kind-config.yaml, one Kafka node, topics of one replica', async () => {
    const objs = await render(PIPELINE, '-f', join(PIPELINE, 'values-kind.yaml'));
    const kind = load(await readFile(join(ROOT, 'kind-config.yaml'), 'utf8')) as {
      nodes: { extraPortMappings: { containerPort: number; hostPort: number }[] }[];
    };
    const mapped = new Map(kind.nodes.flatMap((n) => n.extraPortMappings).map((m) => [m.containerPort, m.hostPort]));
    for (const [component, hostPort] of [
      ['collector', 8081],
      ['dashboard', 8080],
    ] as const) {
      const svc = one(objs, 'Service', `logs-${component}-nodeport`);
      assert.deepEqual(svc['spec'].selector, {
        'app.kubernetes.io/name': 'instant-logs',
        'app.kubernetes.io/instance': 'logs',
        'app.kubernetes.io/component': component,
      });
      assert.equal(svc['spec'].ports[0].targetPort, PORTS[component]);
      assert.equal(mapped.get(svc['spec'].ports[0].nodePort), hostPort);
    }
    assert.equal(one(objs, 'KafkaNodePool')['spec'].replicas, 1);
    assert.equal(pipelineOf(objs)['spec'].kafka.topic.replicas, 1);
  });

  test('access values: keys file, TLS, tenants, syslog and CORS reach the LogPipeline spec as written', async () => {
    const spec = pipelineOf(await render(PIPELINE, '-f', join(PIPELINE, 'ci/access-values.yaml')))['spec'];
    assert.deepEqual(spec.auth, { keysSecretRef: { name: 'instant-logs-keys' } });
    assert.deepEqual(spec.tls, { secretName: 'instant-logs-tls', clientAuth: 'require' });
    assert.deepEqual(spec.tenants, [
      { name: 'team-a', retentionDays: 7, recordsPerSecond: 2000 },
      { name: 'team_b', bytesPerSecond: 4194304 },
    ]);
    assert.deepEqual(spec.tenantDefaults, { recordsPerSecond: 1000, burstSeconds: 5 });
    assert.deepEqual(spec.collector.syslog, { enabled: true, tenant: 'network' });
    assert.deepEqual(spec.query.corsOrigins, ['https://grafana.example.com']);
  });

  test('quantities set as numbers on the command line (--set cpu=2) reach the LogPipeline as numbers; a negative one is refused', async () => {
    const set = [
      '--set',
      'kafka.cluster=k',
      '--set',
      'collector.resources.requests.cpu=2',
      '--set',
      'processor.resources.limits.memory=1073741824',
    ];
    const spec = pipelineOf(await render(PIPELINE, ...set))['spec'];
    assert.equal(spec.collector.resources.requests.cpu, 2);
    assert.equal(spec.processor.resources.limits.memory, 1073741824);
    assert.match(
      await renderError(PIPELINE, '--set', 'kafka.cluster=k', '--set', 'collector.resources.requests.cpu=-2'),
      /collector\/resources\/requests\/cpu': minimum: got -2, want 0/,
    );
  });

  test('values.schema.json (from the CRD) rejects bad values with their path and reason', async () => {
    const cases: [string, RegExp][] = [
      ['collector.replicas=0', /at '\/collector\/replicas': minimum: got 0, want 1/],
      ['clickhouse.managed.imag=x', /at '\/clickhouse\/managed': additional properties 'imag' not allowed/],
      ['kafka.topic.compression=brotli', /at '\/kafka\/topic\/compression': value must be one of 'producer'/],
      ['kafka.strimzi.storage.type=nfs', /at '\/kafka\/strimzi\/storage\/type'/],
      ['name=Logs_1', /at '\/name'/],
      ['nodePorts.collector=8081', /at '\/nodePorts\/collector': minimum: got 8,081, want 30,000/],
      ['tls.clientAuth=always', /at '\/tls\/clientAuth': value must be one of 'none', 'optional', 'require'/],
      ['collector.syslog.udpPort=514', /at '\/collector\/syslog\/udpPort': minimum: got 514, want 1,024/],
      ['tenants[0].name=team.a', /at '\/tenants\/0\/name'/],
    ];
    for (const [set, message] of cases)
      assert.match(await renderError(PIPELINE, '--set', `kafka.cluster=k,${set}`), message, set);
  });
});

describe('charts on the test API server', () => {
  before(
    async () => {
      plane = await startControlPlane();
      env['KUBECONFIG'] = plane.kubeconfigPath;
    },
    { timeout: 60 * 60_000 },
  );

  const kubectlApply = (file: string) => ok('kubectl', ['apply', '--server-side', '-f', file]);
  const established = (...crds: string[]) =>
    ok('kubectl', ['wait', '--for=condition=Established', '--timeout=60s', ...crds.map((c) => `crd/${c}`)]);
  const get = async (kind: string, ns: string, name: string): Promise<Obj> =>
    JSON.parse(await ok('kubectl', ['get', kind, name, '-n', ns, '-o', 'json']));
  const canI = async (sa: string, verb: string, resource: string, ns: string) => {
    const [kind, sub] = resource.split('/');
    const args = [
      'auth',
      'can-i',
      verb,
      kind!,
      ...(sub ? [`--subresource=${sub}`] : []),
      ...(ns ? ['-n', ns] : []),
      `--as=system:serviceaccount:ops:${sa}`,
    ];
    return (await tool('kubectl', args)).out.trim();
  };

  test('helm install of the operator chart: its CRD and objects exist; monitoring objects appear once the Prometheus Operator is served', async () => {
    const flags = ['-n', 'ops', '--create-namespace', '-f', join(OPERATOR, 'ci/monitoring-values.yaml')];
    const notes = await ok('helm', ['install', 'op', OPERATOR, ...flags]);
    assert.match(notes, /serviceMonitor\.enabled is true but the cluster does not serve monitoring\.coreos\.com\/v1/);
    await established('logpipelines.logging.instantdev.io');
    for (const [kind, name] of [
      ['deployment', 'op-instant-logs-operator'],
      ['serviceaccount', 'op-instant-logs-operator'],
      ['service', 'op-instant-logs-operator'],
      ['role', 'op-instant-logs-operator-leader-election'],
      ['configmap', 'op-instant-logs-operator-dashboard-instant-logs-operator'],
    ]) {
      assert.equal((await get(kind!, 'ops', name!)).metadata.name, name);
    }
    assert.equal(
      (await get('clusterrolebinding', '', 'op-instant-logs-operator'))['subjects'][0].name,
      'op-instant-logs-operator',
    );
    await kubectlApply(join(OPERATOR, 'ci/crds/prometheus-operator.yaml'));
    await established('servicemonitors.monitoring.coreos.com', 'prometheusrules.monitoring.coreos.com');
    await ok('helm', ['upgrade', 'op', OPERATOR, ...flags]);
    assert.equal(
      (await get('servicemonitor', 'ops', 'op-instant-logs-operator')).metadata.name,
      'op-instant-logs-operator',
    );
    assert.ok((await get('prometheusrule', 'ops', 'op-instant-logs-operator-operator'))['spec'].groups.length > 0);
  });

  test("the operator's ServiceAccount may touch its kinds anywhere and Leases only in its namespace", async () => {
    const sa = 'op-instant-logs-operator';
    for (const [verb, resource, ns, want] of [
      ['patch', 'deployments.apps', 'logs', 'yes'],
      ['patch', 'servicemonitors.monitoring.coreos.com', 'logs', 'yes'],
      ['patch', 'logpipelines.logging.instantdev.io/status', 'logs', 'yes'],
      // Server-side apply (patch, and create for an apply that makes the object), read from watches: never update or get.
      ['create', 'deployments.apps', 'logs', 'yes'],
      ['update', 'deployments.apps', 'logs', 'no'],
      ['get', 'deployments.apps', 'logs', 'no'],
      ['update', 'secrets', 'logs', 'no'],
      ['update', 'leases.coordination.k8s.io', 'ops', 'yes'],
      ['update', 'leases.coordination.k8s.io', 'kube-system', 'no'],
      ['update', 'logpipelines.logging.instantdev.io', 'logs', 'no'],
      ['create', 'pods', 'logs', 'no'],
      ['create', 'clusterroles.rbac.authorization.k8s.io', '', 'no'],
    ])
      assert.equal(await canI(sa, verb!, resource!, ns!), want, `${verb} ${resource} in ${ns || 'the cluster'}`);
  });

  test('helm install of the pipeline chart: a LogPipeline the API server accepts, and a Kafka in the version Strimzi serves', async () => {
    await kubectlApply(join(PIPELINE, 'ci/crds/strimzi.yaml'));
    await established('kafkas.kafka.strimzi.io', 'kafkanodepools.kafka.strimzi.io');
    const flags = ['-n', 'logs', '--create-namespace', '-f', join(PIPELINE, 'values-kind.yaml')];
    await ok('helm', ['install', 'logs', PIPELINE, ...flags]);
    const pipeline = await get('logpipeline', 'logs', 'logs');
    assert.equal(pipeline['spec'].kafka.cluster, 'logs-kafka');
    assert.equal(pipeline['spec'].query.resources.limits.memory, '1Gi', 'the CRD defaults what the values leave out');
    const kafka = await get('kafkas.v1beta2.kafka.strimzi.io', 'logs', 'logs-kafka');
    assert.equal(kafka.metadata.annotations?.['strimzi.io/node-pools'], 'enabled');
    assert.equal((await get('service', 'logs', 'logs-collector-nodeport'))['spec'].ports[0].nodePort, 30081);
    // Strimzi 0.49+: kafka.strimzi.io/v1 is served (and stored); the chart moves to it on upgrade.
    const crds = parse(await readFile(join(PIPELINE, 'ci/crds/strimzi.yaml'), 'utf8'));
    for (const crd of crds)
      crd['spec'].versions = [
        { ...crd['spec'].versions[0], name: 'v1' },
        { ...crd['spec'].versions[0], storage: false },
      ];
    await ok(
      'kubectl',
      ['apply', '--server-side', '--force-conflicts', '-f', '-'],
      crds.map((c) => dump(c)).join('---\n'),
    );
    await established('kafkas.kafka.strimzi.io');
    await ok('helm', ['upgrade', 'logs', PIPELINE, ...flags]);
    const upgraded = await get('kafkas.v1.kafka.strimzi.io', 'logs', 'logs-kafka');
    assert.equal(upgraded.metadata.annotations?.['strimzi.io/node-pools'], undefined);
  });

  test('requireKeda fails the install until KEDA is served', async () => {
    const flags = ['-n', 'logs', '-f', join(PIPELINE, 'ci/keda-values.yaml')];
    const refused = await tool('helm', ['install', 'lag', PIPELINE, ...flags]);
    assert.match(refused.err, /requireKeda is true but the cluster does not serve keda\.sh\/v1alpha1/);
    await kubectlApply(join(PIPELINE, 'ci/crds/keda.yaml'));
    await established('scaledobjects.keda.sh');
    await ok('helm', ['install', 'lag', PIPELINE, ...flags]);
    assert.equal((await get('logpipeline', 'logs', 'lag'))['spec'].processor.lagThreshold, 5000);
  });

  test('every rendered variant passes a server-side dry run', async () => {
    await ok('kubectl', ['create', 'namespace', 'dry']);
    const variants: [string, string[]][] = [
      [OPERATOR, []],
      [OPERATOR, ['-f', join(OPERATOR, 'ci/ha-values.yaml')]],
      [OPERATOR, ['-f', join(OPERATOR, 'ci/monitoring-values.yaml'), ...MONITORING]],
      [OPERATOR, ['-f', join(OPERATOR, 'ci/watch-namespace-values.yaml')]],
      [PIPELINE, ['-f', join(PIPELINE, 'ci/external-clickhouse-values.yaml')]],
      [PIPELINE, ['-f', join(PIPELINE, 'ci/access-values.yaml')]],
      [PIPELINE, ['-f', join(PIPELINE, 'ci/keda-values.yaml'), '--api-versions', 'keda.sh/v1alpha1']],
      [PIPELINE, ['-f', join(PIPELINE, 'ci/placement-values.yaml')]],
      [PIPELINE, ['-f', join(PIPELINE, 'ci/cluster-values.yaml')]],
      [PIPELINE, ['-f', join(PIPELINE, 'ci/strimzi-values.yaml'), '--api-versions', 'kafka.strimzi.io/v1']],
      [PIPELINE, ['-f', join(PIPELINE, 'ci/strimzi-values.yaml'), '--api-versions', 'kafka.strimzi.io/v1beta2']],
      // The installed release holds the kind node ports already: the API server refuses them twice.
      [
        PIPELINE,
        ['-f', join(PIPELINE, 'values-kind.yaml'), '--set', 'nodePorts.collector=30181,nodePorts.dashboard=30180'],
      ],
    ];
    for (const [chart, args] of variants) {
      const manifests = await ok('helm', ['template', 'dry', chart, '-n', 'dry', ...args]);
      await ok('kubectl', ['apply', '--dry-run=server', '--server-side', '-f', '-'], manifests);
    }
  });
});

describe('images, kind and skaffold', () => {
  const TARGETS = {
    collector: 'services/collector',
    processor: 'services/processor',
    query: 'services/query',
    operator: 'operator',
  } as const;

  test('each Node target: the Makefile Node on slim, production-only npm ci, non-root, a health check and an entry point that exists', async () => {
    const stages = parseDockerfile(await readFile(join(ROOT, 'Dockerfile'), 'utf8'));
    const nodeVersion = /^NODE_VERSION\s*:=\s*(\S+)/m.exec(await readFile(join(ROOT, 'Makefile'), 'utf8'))?.[1];
    assert.equal(stages.get('')?.find((i) => i.op === 'ARG')?.args, `NODE_VERSION=${nodeVersion}`);
    assert.equal(stages.get('base')?.[0]?.args, 'node:${NODE_VERSION}-slim AS base');
    const installer = stages.get('installer')!.find((i) => i.args.includes('/usr/local/bin/install-workspace'))!;
    assert.match(installer.heredoc!, /^npm ci --omit=dev --omit=optional --workspace "\$1"/m);
    for (const [target, workspace] of Object.entries(TARGETS)) {
      const stage = stages.get(target)!;
      const last = (op: string) => stage.filter((i) => i.op === op).at(-1)?.args;
      assert.equal(stage[0]!.args, `base AS ${target}`);
      assert.equal(last('USER'), `${APP_UID}:${APP_UID}`, target);
      assert.match(last('HEALTHCHECK') ?? '', /\/healthz/, target);
      assert.equal(last('ENV'), `PORT=${PORTS[target as keyof typeof PORTS] ?? 8080}`, target);
      const cmd = JSON.parse(last('CMD')!) as string[];
      // node, its flags, then the entry point.
      assert.equal(cmd[0], 'node');
      assert.ok(
        cmd.slice(1, -1).every((arg) => arg.startsWith('--')),
        `${target}: ${cmd.join(' ')}`,
      );
      assert.ok(existsSync(join(ROOT, cmd.at(-1)!)), `${target}: ${cmd.at(-1)} exists`);
      const froms = stage
        .filter((i) => i.op === 'COPY' && i.args.startsWith('--from='))
        .map((i) => i.args.split(/\s+/)[0]!.slice('--from='.length));
      for (const from of froms) {
        if (from === 'dashboard-build') continue; // only its built dist/, checked below
        assert.equal(from, `${target}-deps`);
        assert.deepEqual(
          stages
            .get(from)!
            .filter((i) => i.op === 'RUN')
            .map((i) => i.args),
          [`--mount=type=cache,target=/root/.npm install-workspace ${workspace}`],
        );
      }
      assert.ok(existsSync(join(ROOT, workspace, 'package.json')));
      assert.ok(
        stage.some((i) => i.op === 'RUN' && i.args.startsWith(`check-entrypoint ${cmd.at(-1)}`)),
        `${target} checks its entry point loads`,
      );
    }
    assert.ok(
      stages.get('processor')!.some((i) => i.op === 'RUN' && i.args.includes(`check-entrypoint ${SETUP_COMMAND[1]}`)),
      'the setup Job entry point is in the processor image',
    );
    assert.ok(
      stages
        .get('query')!
        .some((i) => i.op === 'COPY' && i.args === '--from=dashboard-build /app/dashboard/dist/ dashboard/dist/'),
    );
    const dashboard = stages.get('dashboard')!;
    assert.match(dashboard[0]!.args, /^nginxinc\/nginx-unprivileged:\S+ AS dashboard$/);
    assert.equal(dashboard.filter((i) => i.op === 'USER').at(-1)?.args, `${APP_UID}:${APP_UID}`);
    const heredoc = (target: string) =>
      dashboard.find((i) => i.op === 'COPY' && i.heredoc && i.args.endsWith(` ${target}`))!.heredoc!;
    const nginx = heredoc('/etc/nginx/dashboard.conf.template');
    assert.match(
      nginx,
      /listen \$\{PORT\}\$\{LISTEN_TLS\};\n\s*\$\{TLS_DIRECTIVES\}\n[\s\S]*proxy_pass \$\{QUERY_URL\};/,
    );
    // The entry point substitutes every name the template uses, and only those (nginx's own $variables stay).
    const entrypoint = heredoc('/usr/local/bin/dashboard-entrypoint');
    assert.match(
      entrypoint,
      /envsubst '\$\{PORT\} \$\{QUERY_URL\} \$\{LISTEN_TLS\} \$\{TLS_DIRECTIVES\}' < \/etc\/nginx\/dashboard.conf.template/,
    );
    assert.deepEqual(JSON.parse(dashboard.filter((i) => i.op === 'ENTRYPOINT').at(-1)!.args), [
      '/usr/local/bin/dashboard-entrypoint',
    ]);
    assert.ok(dashboard.some((i) => i.op === 'HEALTHCHECK'));
    // The nginx-served page is as hardened as the one the query service serves.
    assert.ok(
      nginx.includes(`add_header Content-Security-Policy "${contentSecurityPolicy(undefined)}" always;`),
      'the same Content-Security-Policy as the query service',
    );
    for (const header of [
      'X-Content-Type-Options nosniff',
      'Referrer-Policy no-referrer',
      'X-Frame-Options DENY',
      'Cross-Origin-Opener-Policy same-origin',
    ]) {
      assert.ok(nginx.includes(`add_header ${header} always;`), header);
    }
  });

  test('.dockerignore keeps every path the Dockerfile copies from the context', async () => {
    const ignored = (await readFile(join(ROOT, '.dockerignore'), 'utf8'))
      .split('\n')
      .filter((l) => l && !l.startsWith('#'));
    const stages = parseDockerfile(await readFile(join(ROOT, 'Dockerfile'), 'utf8'));
    const copied = [...stages.values()]
      .flat()
      .filter((i) => i.op === 'COPY' && !i.args.startsWith('--') && !i.heredoc)
      .map((i) => i.args.split(/\s+/)[0]!);
    assert.ok(copied.includes('packages/') && copied.includes('dashboard/'));
    for (const path of copied)
      assert.ok(!ignored.some((p) => p === path || p === path.replace(/\/$/, '')), `${path} is not ignored`);
    assert.ok(ignored.includes('**/node_modules') && ignored.includes('**/*.test.ts'));
  });

  test('skaffold.yaml builds every target, deploys both charts with those images, and forwards ports that exist', async () => {
    const cfg = load(await readFile(join(ROOT, 'skaffold.yaml'), 'utf8')) as any;
    const stages = parseDockerfile(await readFile(join(ROOT, 'Dockerfile'), 'utf8'));
    assert.match(cfg.apiVersion, /^skaffold\/v4beta(1[1-9]|[2-9]\d)$/);
    const artifacts = cfg.build.artifacts as { image: string; docker: { dockerfile: string; target: string } }[];
    assert.deepEqual(artifacts.map((a) => a.docker.target).sort(), [
      'collector',
      'dashboard',
      'operator',
      'processor',
      'query',
    ]);
    for (const a of artifacts)
      assert.ok(stages.has(a.docker.target) && a.image === `instant-logs-${a.docker.target}`, a.image);
    const images = new Set(artifacts.map((a) => a.image.replace(/[./:-]/g, '_')));
    const [operator, pipeline] = cfg.deploy.helm.releases;
    for (const release of [operator, pipeline]) {
      assert.ok(existsSync(join(ROOT, release.chartPath, 'Chart.yaml')));
      for (const template of Object.values(release.setValueTemplates) as string[]) {
        assert.ok(images.has(/\{\{\.IMAGE_[A-Z_]+?_(instant_logs_\w+)\}\}/.exec(template)![1]!), template);
      }
    }
    assert.deepEqual(Object.keys(pipeline.setValueTemplates).sort(), [
      'images.collector',
      'images.dashboard',
      'images.processor',
      'images.query',
    ]);
    const objs = await render(
      PIPELINE,
      ...pipeline.valuesFiles.flatMap((f: string) => ['-f', join(ROOT, f)]),
      '--set',
      Object.keys(pipeline.setValueTemplates)
        .map((k) => `${k}=example/${k}:dev`)
        .join(','),
    );
    assert.equal(one(objs, 'LogPipeline', pipeline.name)['spec'].images.query, 'example/images.query:dev');
    for (const pf of cfg.portForward as { resourceName: string; namespace: string; port: number }[]) {
      const component = pf.resourceName.slice(`${pipeline.name}-`.length) as keyof typeof PORTS;
      assert.equal(pf.namespace, pipeline.namespace);
      assert.equal(pf.port, PORTS[component], pf.resourceName);
    }
  });
});

async function globFiles(dir: string, pattern: RegExp): Promise<[string, string][]> {
  const names = existsSync(dir) ? (await readdir(dir)).filter((f) => pattern.test(f)).sort() : [];
  return Promise.all(names.map(async (f) => [f, await readFile(join(dir, f), 'utf8')] as [string, string]));
}

interface Instruction {
  op: string;
  args: string;
  heredoc?: string;
}

/** Pure: a Dockerfile's instructions by stage name ('' holds those before the first FROM); continuations joined, heredoc bodies kept. */
function parseDockerfile(text: string): Map<string, Instruction[]> {
  const stages = new Map<string, Instruction[]>([['', []]]);
  let current = stages.get('')!;
  const lines = text.split('\n');
  for (let i = 0; i < lines.length; i++) {
    let line = lines[i]!;
    if (!line.trim() || line.trimStart().startsWith('#')) continue;
    while (line.endsWith('\\')) line = `${line.slice(0, -1)} ${lines[++i]!.trim()}`;
    const [, op, args] = /^(\w+)\s+(.*)$/.exec(line.trim())!;
    const instruction: Instruction = { op: op!.toUpperCase(), args: args!.replace(/\s+/g, ' ') };
    const marker = /<<'?(\w+)'?/.exec(args!);
    if (marker) {
      const body: string[] = [];
      while (lines[++i] !== marker[1]) body.push(lines[i]!);
      instruction.heredoc = body.join('\n');
    }
    if (instruction.op === 'FROM') stages.set(/ AS (\S+)$/i.exec(args!)?.[1] ?? args!, (current = []));
    current.push(instruction);
  }
  return stages;
}
