import { test } from 'node:test';
import assert from 'node:assert/strict';
import { typeOf } from '../kube/resources.ts';
import { componentNames, desired, PIPELINE_LABEL } from './index.ts';
import { context, EXTERNAL_CLICKHOUSE, find, has, pipeline } from './test-pipeline.ts';

const variants = {
  'Strimzi, managed ClickHouse, KEDA, Prometheus Operator': () =>
    desired(pipeline(), context({ keda: true, prometheusOperator: true })),
  'bootstrap servers, external ClickHouse, no optional APIs': () =>
    desired(
      pipeline({ kafka: { bootstrapServers: 'k1:9092,k2:9092' }, clickhouse: EXTERNAL_CLICKHOUSE }),
      context({}, null),
    ),
};

for (const [variant, make] of Object.entries(variants)) {
  test(`every object has its identity, namespace, pipeline label and controller reference (${variant})`, () => {
    for (const o of make()) {
      const what = `${o.kind}/${o.metadata.name}`;
      assert.ok(o.apiVersion && o.kind && o.metadata.name, what);
      assert.equal(o.metadata.namespace, 'logs', what);
      assert.equal(o.metadata.labels?.[PIPELINE_LABEL], 'demo', what);
      assert.equal(o.metadata.labels?.['app.kubernetes.io/managed-by'], 'instant-logs-operator', what);
      assert.deepEqual(
        o.metadata.ownerReferences,
        [
          {
            apiVersion: 'logging.instantdev.io/v1alpha1',
            kind: 'LogPipeline',
            name: 'demo',
            uid: '4f1c2a9e-0000-4000-8000-000000000001',
            controller: true,
            blockOwnerDeletion: true,
          },
        ],
        what,
      );
    }
  });

  test(`every emitted kind is in RESOURCES, and no object carries status (${variant})`, () => {
    for (const o of make()) {
      assert.ok(typeOf(o), `${o.apiVersion} ${o.kind} is not in RESOURCES`);
      assert.equal('status' in o, false, `${o.kind}/${o.metadata.name}`);
    }
  });

  test(`two calls give deep-equal output (${variant})`, () => {
    assert.deepEqual(make(), make());
  });
}

test('a default pipeline gives these objects, ordered by kind (apply order) then name', () => {
  const objects = desired(pipeline(), context({ keda: true, prometheusOperator: true }));
  const setupJob = componentNames(pipeline()).setupJob;
  assert.deepEqual(
    objects.map((o) => `${o.kind}/${o.metadata.name}`),
    [
      'KafkaTopic/demo-dead-letter',
      'KafkaTopic/demo-logs',
      'NetworkPolicy/demo-clickhouse',
      'NetworkPolicy/demo-collector',
      'NetworkPolicy/demo-dashboard',
      'NetworkPolicy/demo-processor',
      'NetworkPolicy/demo-query',
      'Secret/demo-clickhouse-credentials',
      'ConfigMap/demo-clickhouse',
      'ConfigMap/demo-pipeline',
      'Service/demo-clickhouse',
      'Service/demo-clickhouse-headless',
      'Service/demo-collector',
      'Service/demo-dashboard',
      'Service/demo-processor',
      'Service/demo-query',
      'StatefulSet/demo-clickhouse',
      'Deployment/demo-collector',
      'Deployment/demo-dashboard',
      'Deployment/demo-processor',
      'Deployment/demo-query',
      `Job/${setupJob}`,
      'PodDisruptionBudget/demo-collector',
      'PodDisruptionBudget/demo-processor',
      'PodDisruptionBudget/demo-query',
      'ScaledObject/demo-processor',
      'ServiceMonitor/demo',
    ],
  );
});

test('desired does not modify the pipeline it is given', () => {
  const p = pipeline();
  const before = structuredClone(p);
  desired(p, context({ keda: true, prometheusOperator: true }));
  assert.deepEqual(p, before);
});

test('disabling the dashboard removes its Deployment, Service and NetworkPolicy and nothing else', () => {
  const on = desired(pipeline(), context());
  const off = desired(pipeline({ dashboard: { enabled: false } }), context());
  assert.deepEqual(
    on
      .filter((o) => !off.some((x) => x.kind === o.kind && x.metadata.name === o.metadata.name))
      .map((o) => `${o.kind}/${o.metadata.name}`)
      .sort(),
    ['Deployment/demo-dashboard', 'NetworkPolicy/demo-dashboard', 'Service/demo-dashboard'],
  );
  assert.equal(off.length, on.length - 3);
});

test('disabling query and dashboard removes the query objects too', () => {
  const objects = desired(pipeline({ query: { enabled: false }, dashboard: { enabled: false } }), context());
  assert.equal(
    objects.some((o) => o.metadata.name === 'demo-query' || o.metadata.name === 'demo-dashboard'),
    false,
  );
});

test('a ServiceMonitor only when the Prometheus Operator is installed, selecting the services that serve /metrics', () => {
  assert.equal(has(desired(pipeline(), context()), 'ServiceMonitor'), false);
  const sm = find(desired(pipeline(), context({ prometheusOperator: true })), 'ServiceMonitor', 'demo');
  assert.deepEqual(sm['spec'], {
    selector: {
      matchLabels: { [PIPELINE_LABEL]: 'demo' },
      matchExpressions: [
        {
          key: 'app.kubernetes.io/component',
          operator: 'In',
          values: ['collector', 'processor', 'query', 'dashboard'],
        },
      ],
    },
    endpoints: [{ port: 'http', path: '/metrics' }],
  });
});

test('a pipeline without uid or namespace is refused: the reconciler must pass what it read', () => {
  const noUid = pipeline();
  delete noUid.metadata.uid;
  assert.throws(() => desired(noUid, context()), /no metadata.uid/);
  const noNamespace = pipeline();
  delete noNamespace.metadata.namespace;
  assert.throws(() => desired(noNamespace, context()), /no metadata.namespace/);
});

test('names stay within 63 characters for the longest pipeline name the schema allows', () => {
  const name = `a${'b'.repeat(39)}`;
  for (const o of desired(pipeline({}, name), context({ keda: true, prometheusOperator: true }))) {
    assert.ok(o.metadata.name.length <= 63, `${o.kind}/${o.metadata.name} is ${o.metadata.name.length} characters`);
  }
});

test('componentNames agrees with the objects, with or without them', () => {
  const p = pipeline({ kafka: { cluster: 'kafka', topic: { name: 'app_logs' } } });
  const objects = desired(p, context());
  const names = componentNames(p, objects);
  assert.deepEqual(componentNames(p), names);
  assert.equal(names.topic, 'app_logs');
  assert.equal(names.deadLetterTopic, 'demo-dead-letter');
  assert.equal(names.queryPort, 8082);
  for (const [kind, name] of [
    ['Deployment', names.collector],
    ['Deployment', names.processor],
    ['Deployment', names.query],
    ['StatefulSet', names.clickhouse],
    ['Job', names.setupJob],
  ] as const) {
    assert.ok(has(objects, kind, name), `${kind}/${name}`);
  }
});
