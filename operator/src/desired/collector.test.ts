import { test } from 'node:test';
import assert from 'node:assert/strict';
import { desired } from './index.ts';
import { context, envVar, find, mainContainer, pipeline, specOf } from './test-pipeline.ts';

test('API_KEYS comes from the named Secret key when apiKeysSecretRef is set', () => {
  const objects = desired(
    pipeline({ collector: { apiKeysSecretRef: { name: 'ingest-keys', key: 'keys' } } }),
    context(),
  );
  const c = mainContainer(find(objects, 'Deployment', 'demo-collector'));
  assert.deepEqual(envVar(c, 'API_KEYS'), {
    name: 'API_KEYS',
    valueFrom: { secretKeyRef: { name: 'ingest-keys', key: 'keys' } },
  });
});

test('the Secret key defaults to api-keys', () => {
  const c = mainContainer(
    find(
      desired(pipeline({ collector: { apiKeysSecretRef: { name: 'ingest-keys' } } }), context()),
      'Deployment',
      'demo-collector',
    ),
  );
  assert.deepEqual(envVar(c, 'API_KEYS')?.valueFrom, { secretKeyRef: { name: 'ingest-keys', key: 'api-keys' } });
});

test('without apiKeysSecretRef there is no API_KEYS', () => {
  assert.equal(
    envVar(mainContainer(find(desired(pipeline(), context()), 'Deployment', 'demo-collector')), 'API_KEYS'),
    undefined,
  );
});

test('the collector runs the spec’s replicas on 0.0.0.0:8081 with the shared settings', () => {
  const d = find(desired(pipeline({ collector: { replicas: 4 } }), context()), 'Deployment', 'demo-collector');
  assert.equal(specOf(d)['replicas'], 4);
  const c = mainContainer(d);
  assert.equal(envVar(c, 'HOST')?.value, '0.0.0.0');
  assert.equal(envVar(c, 'PORT')?.value, '8081');
  assert.deepEqual(c.envFrom, [{ configMapRef: { name: 'demo-pipeline' } }]);
});

test('the collector Service takes its type and port from the spec and targets the container port', () => {
  const svc = find(
    desired(pipeline({ collector: { service: { type: 'LoadBalancer', port: 443 } } }), context()),
    'Service',
    'demo-collector',
  );
  assert.equal(specOf(svc)['type'], 'LoadBalancer');
  assert.deepEqual(specOf(svc)['ports'], [{ name: 'http', port: 443, targetPort: 8081 }]);
  assert.deepEqual(specOf(svc)['selector'], {
    'app.kubernetes.io/name': 'instant-logs',
    'app.kubernetes.io/instance': 'demo',
    'app.kubernetes.io/component': 'collector',
  });
});

test('a PodDisruptionBudget lets one collector pod go at a time', () => {
  const pdb = find(desired(pipeline(), context()), 'PodDisruptionBudget', 'demo-collector');
  assert.equal(pdb.apiVersion, 'policy/v1');
  assert.equal(specOf(pdb)['maxUnavailable'], 1);
  assert.deepEqual(specOf(pdb)['selector'], {
    matchLabels: {
      'app.kubernetes.io/name': 'instant-logs',
      'app.kubernetes.io/instance': 'demo',
      'app.kubernetes.io/component': 'collector',
    },
  });
});

test('every component that may run more than one pod has a PodDisruptionBudget, and one of a single pod has none', () => {
  const budgets = (spec = {}) =>
    desired(pipeline(spec), context())
      .filter((o) => o.kind === 'PodDisruptionBudget')
      .map((o) => o.metadata.name)
      .sort();
  assert.deepEqual(budgets(), ['demo-collector', 'demo-processor', 'demo-query']);
  assert.deepEqual(budgets({ dashboard: { replicas: 2 } }), [
    'demo-collector',
    'demo-dashboard',
    'demo-processor',
    'demo-query',
  ]);
  // The processor's count is the autoscaler's to choose: its ceiling decides.
  assert.deepEqual(
    budgets({ collector: { replicas: 1 }, query: { replicas: 1 }, processor: { minReplicas: 1, maxReplicas: 1 } }),
    [],
  );
  // Each selects its own component's pods.
  for (const pdb of desired(pipeline({ dashboard: { replicas: 3 } }), context()).filter(
    (o) => o.kind === 'PodDisruptionBudget',
  )) {
    const { selector } = specOf<{ selector: { matchLabels: Record<string, string> } }>(pdb);
    assert.equal(selector.matchLabels['app.kubernetes.io/component'], pdb.metadata.name.slice('demo-'.length));
  }
});

test('changing a shared setting changes the pods’ config hash, so the Deployments roll', () => {
  const hash = (topic: string) =>
    find(
      desired(pipeline({ kafka: { cluster: 'kafka', topic: { name: topic } } }), context()),
      'Deployment',
      'demo-collector',
    )['spec'] as { template: { metadata: { annotations: Record<string, string> } } };
  assert.notEqual(
    hash('a').template.metadata.annotations['logging.instantdev.io/config-hash'],
    hash('b').template.metadata.annotations['logging.instantdev.io/config-hash'],
  );
});

test('the collector exports traces only when the pipeline names an OTLP endpoint', () => {
  const collector = (spec: Parameters<typeof pipeline>[0]) =>
    mainContainer(find(desired(pipeline(spec), context()), 'Deployment', 'demo-collector'));
  assert.equal(envVar(collector({}), 'OTEL_EXPORTER_OTLP_ENDPOINT'), undefined);
  const traced = collector({ telemetry: { otlpEndpoint: 'http://otel.observability:4318' } });
  assert.equal(envVar(traced, 'OTEL_EXPORTER_OTLP_ENDPOINT')?.value, 'http://otel.observability:4318');
  assert.equal(envVar(traced, 'OTEL_SERVICE_NAME')?.value, 'instant-logs-collector');
});

test('without an API keys Secret the collector is told explicitly that it runs open', () => {
  const c = mainContainer(find(desired(pipeline({}), context()), 'Deployment', 'demo-collector'));
  assert.equal(envVar(c, 'ALLOW_UNAUTHENTICATED')?.value, 'true');
  assert.equal(envVar(c, 'API_KEYS'), undefined);
});

test('syslog off: the collector has only its http and probe ports, and no SYSLOG_ env', () => {
  const objects = desired(pipeline(), context());
  const c = mainContainer(find(objects, 'Deployment', 'demo-collector'));
  assert.deepEqual(c.ports, [
    { name: 'http', containerPort: 8081 },
    { name: 'probe', containerPort: 8090 },
  ]);
  assert.equal(
    c.env?.some((e) => e.name.startsWith('SYSLOG_')),
    false,
  );
});

test('syslog on: TCP and UDP listeners on the pods and the Service, with their port and tenant in env', () => {
  const objects = desired(
    pipeline({ collector: { syslog: { enabled: true, tcpPort: 6514, tenant: 'network' } } }),
    context(),
  );
  const c = mainContainer(find(objects, 'Deployment', 'demo-collector'));
  assert.deepEqual(
    ['SYSLOG_TCP_PORT', 'SYSLOG_UDP_PORT', 'SYSLOG_TENANT'].map((n) => envVar(c, n)?.value),
    ['6514', '5514', 'network'],
  );
  assert.deepEqual(c.ports, [
    { name: 'http', containerPort: 8081 },
    { name: 'probe', containerPort: 8090 },
    { name: 'syslog-tcp', containerPort: 6514, protocol: 'TCP' },
    { name: 'syslog-udp', containerPort: 5514, protocol: 'UDP' },
  ]);
  assert.deepEqual(specOf(find(objects, 'Service', 'demo-collector'))['ports'], [
    { name: 'http', port: 8081, targetPort: 8081 },
    { name: 'syslog-tcp', port: 6514, targetPort: 6514, protocol: 'TCP' },
    { name: 'syslog-udp', port: 5514, targetPort: 5514, protocol: 'UDP' },
  ]);
});
