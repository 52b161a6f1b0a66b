import { test } from 'node:test';
import assert from 'node:assert/strict';
import { desired, PIPELINE_LABEL } from './index.ts';
import { context, EXTERNAL_CLICKHOUSE, find, has, pipeline, specOf, templateOf, workloads } from './test-pipeline.ts';

const selector = (component: string) => ({
  matchLabels: {
    'app.kubernetes.io/name': 'instant-logs',
    'app.kubernetes.io/instance': 'demo',
    'app.kubernetes.io/component': component,
  },
});

test('ClickHouse accepts only this pipeline’s pods, on 8123 and 9000', () => {
  const np = find(desired(pipeline(), context()), 'NetworkPolicy', 'demo-clickhouse');
  assert.deepEqual(np['spec'], {
    podSelector: selector('clickhouse'),
    ingress: [
      {
        from: [{ podSelector: { matchLabels: { [PIPELINE_LABEL]: 'demo' } } }],
        ports: [{ port: 8123 }, { port: 9000 }],
      },
    ],
  });
});

test('every pod that talks to ClickHouse carries the pipeline label the policy admits', () => {
  for (const w of workloads(desired(pipeline(), context()))) {
    assert.equal(templateOf(w).metadata?.labels?.[PIPELINE_LABEL], 'demo', w.metadata.name);
  }
});

test('collector, query and dashboard accept anyone on their port; the processor only on its metrics port', () => {
  const objects = desired(pipeline(), context());
  for (const [component, port] of [
    ['collector', 8081],
    ['query', 8082],
    ['dashboard', 8080],
    ['processor', 8083],
  ] as const) {
    assert.deepEqual(
      specOf(find(objects, 'NetworkPolicy', `demo-${component}`)),
      { podSelector: selector(component), ingress: [{ ports: [{ port }] }] },
      component,
    );
  }
});

test('no ClickHouse policy for an external ClickHouse, no query or dashboard policies when they are off', () => {
  const objects = desired(
    pipeline({ clickhouse: EXTERNAL_CLICKHOUSE, query: { enabled: false }, dashboard: { enabled: false } }),
    context({}, null),
  );
  assert.deepEqual(
    objects.filter((o) => o.kind === 'NetworkPolicy').map((o) => o.metadata.name),
    ['demo-collector', 'demo-processor'],
  );
  assert.equal(has(objects, 'NetworkPolicy', 'demo-clickhouse'), false);
});

test('with syslog on, the collector policy admits its syslog ports over TCP and UDP', () => {
  const np = find(
    desired(pipeline({ collector: { syslog: { enabled: true, udpPort: 5515 } } }), context()),
    'NetworkPolicy',
    'demo-collector',
  );
  assert.deepEqual(specOf(np)['ingress'], [
    { ports: [{ port: 8081 }, { port: 5514, protocol: 'TCP' }, { port: 5515, protocol: 'UDP' }] },
  ]);
});
