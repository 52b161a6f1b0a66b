import { test } from 'node:test';
import assert from 'node:assert/strict';
import { desired } from './index.ts';
import { context, envVar, find, mainContainer, pipeline, specOf } from './test-pipeline.ts';

test('the query service runs the spec’s replicas on port 8082 behind a Service of the same port', () => {
  const objects = desired(pipeline({ query: { replicas: 3 } }), context());
  const d = find(objects, 'Deployment', 'demo-query');
  assert.equal(specOf(d)['replicas'], 3);
  assert.equal(envVar(mainContainer(d), 'PORT')?.value, '8082');
  assert.deepEqual(specOf(find(objects, 'Service', 'demo-query'))['ports'], [
    { name: 'http', port: 8082, targetPort: 8082 },
  ]);
});

test('the query service shares the collector’s API keys, so a key reads the tenant it writes', () => {
  const c = mainContainer(
    find(
      desired(pipeline({ collector: { apiKeysSecretRef: { name: 'ingest-keys' } } }), context()),
      'Deployment',
      'demo-query',
    ),
  );
  assert.deepEqual(envVar(c, 'API_KEYS')?.valueFrom, { secretKeyRef: { name: 'ingest-keys', key: 'api-keys' } });
});

test('the dashboard reaches the query service through QUERY_URL', () => {
  const objects = desired(pipeline({ dashboard: { replicas: 2 } }), context());
  const d = find(objects, 'Deployment', 'demo-dashboard');
  assert.equal(specOf(d)['replicas'], 2);
  assert.equal(envVar(mainContainer(d), 'QUERY_URL')?.value, 'http://demo-query:8082');
  assert.deepEqual(specOf(find(objects, 'Service', 'demo-dashboard'))['ports'], [
    { name: 'http', port: 8080, targetPort: 8080 },
  ]);
});

test('alert notifications link to the dashboard’s public address when the spec gives one', () => {
  const query = (dashboard: object) =>
    mainContainer(find(desired(pipeline({ dashboard }), context()), 'Deployment', 'demo-query'));
  assert.equal(
    envVar(query({ publicUrl: 'https://logs.example.com' }), 'PUBLIC_URL')?.value,
    'https://logs.example.com',
  );
  assert.equal(envVar(query({}), 'PUBLIC_URL'), undefined);
});

const corsCases: [string[], string | undefined][] = [
  [[], undefined],
  [['https://grafana.example.com'], 'https://grafana.example.com'],
  [['https://a.example.com', 'http://localhost:5173'], 'https://a.example.com,http://localhost:5173'],
];
for (const [origins, expected] of corsCases) {
  test(`corsOrigins ${JSON.stringify(origins)} gives CORS_ORIGINS ${expected ?? '(unset)'} on the query service`, () => {
    const c = mainContainer(
      find(desired(pipeline({ query: { corsOrigins: origins } }), context()), 'Deployment', 'demo-query'),
    );
    assert.equal(envVar(c, 'CORS_ORIGINS')?.value, expected);
  });
}
