import { test } from 'node:test';
import assert from 'node:assert/strict';
import { desired } from './index.ts';
import { context, envVar, find, mainContainer, pipeline, specOf, templateOf } from './test-pipeline.ts';

const tls = (clientAuth: 'none' | 'optional' | 'require' = 'none') =>
  pipeline({ tls: { secretName: 'web-tls', clientAuth } });
const deploymentOf = (p: ReturnType<typeof pipeline>, name: string) =>
  find(desired(p, context({ prometheusOperator: true })), 'Deployment', name);

for (const name of ['demo-collector', 'demo-query']) {
  test(`with tls.secretName the Secret is mounted at /etc/instant-logs/tls and named by TLS_CERT_FILE and TLS_KEY_FILE (${name})`, () => {
    const d = deploymentOf(tls(), name);
    const c = mainContainer(d);
    assert.equal(envVar(c, 'TLS_CERT_FILE')?.value, '/etc/instant-logs/tls/tls.crt');
    assert.equal(envVar(c, 'TLS_KEY_FILE')?.value, '/etc/instant-logs/tls/tls.key');
    assert.deepEqual(
      c.volumeMounts?.find((m) => m.name === 'tls'),
      { name: 'tls', mountPath: '/etc/instant-logs/tls', readOnly: true },
    );
    assert.deepEqual(
      templateOf(d).spec!.volumes?.find((v) => v.name === 'tls'),
      { name: 'tls', secret: { secretName: 'web-tls' } },
    );
  });
}

test('without tls.secretName no service gets TLS env or a tls volume', () => {
  for (const d of desired(pipeline(), context()).filter((o) => o.kind === 'Deployment')) {
    assert.equal(
      mainContainer(d).env?.some((e) => e.name.startsWith('TLS_')),
      false,
      d.metadata.name,
    );
    assert.equal(
      templateOf(d).spec!.volumes?.some((v) => v.name === 'tls'),
      false,
      d.metadata.name,
    );
  }
});

// [clientAuth, collector's TLS_CLIENT_AUTH, TLS_CLIENT_CA_FILE]
const modes: ['none' | 'optional' | 'require', string | undefined, string | undefined][] = [
  ['none', undefined, undefined],
  ['optional', 'optional', '/etc/instant-logs/tls/ca.crt'],
  ['require', 'require', '/etc/instant-logs/tls/ca.crt'],
];
// The probe port answers only /healthz and /readyz, over plain HTTP: kubelet needs no client certificate even when the API requires one.
for (const [mode, clientAuth, caFile] of modes) {
  test(`clientAuth ${mode}: the collector gets TLS_CLIENT_AUTH=${clientAuth ?? '(unset)'} and is probed over HTTP on its probe port`, () => {
    const c = mainContainer(deploymentOf(tls(mode), 'demo-collector'));
    assert.equal(envVar(c, 'TLS_CLIENT_AUTH')?.value, clientAuth);
    assert.equal(envVar(c, 'TLS_CLIENT_CA_FILE')?.value, caFile);
    assert.deepEqual(c.readinessProbe, { httpGet: { path: '/readyz', port: 'probe' } });
  });

  test(`clientAuth ${mode}: the query service serves server TLS only, probed over HTTP on its probe port`, () => {
    const c = mainContainer(deploymentOf(tls(mode), 'demo-query'));
    assert.equal(envVar(c, 'TLS_CLIENT_AUTH'), undefined);
    assert.equal(envVar(c, 'TLS_CLIENT_CA_FILE'), undefined);
    assert.deepEqual(c.livenessProbe, { httpGet: { path: '/healthz', port: 'probe' } });
  });
}

test('with TLS the collector and query Service ports are named https and the dashboard proxies to https://', () => {
  const objects = desired(tls(), context());
  assert.deepEqual(specOf(find(objects, 'Service', 'demo-collector'))['ports'], [
    { name: 'https', port: 8081, targetPort: 8081 },
  ]);
  assert.deepEqual(specOf(find(objects, 'Service', 'demo-query'))['ports'], [
    { name: 'https', port: 8082, targetPort: 8082 },
  ]);
  assert.equal(
    envVar(mainContainer(find(objects, 'Deployment', 'demo-dashboard')), 'QUERY_URL')?.value,
    'https://demo-query:8082',
  );
});

test('with TLS the ServiceMonitor scrapes the https ports over HTTPS and the rest over HTTP', () => {
  const sm = find(desired(tls(), context({ prometheusOperator: true })), 'ServiceMonitor', 'demo');
  assert.deepEqual(specOf(sm)['endpoints'], [
    { port: 'http', path: '/metrics' },
    { port: 'https', path: '/metrics', scheme: 'https', tlsConfig: { insecureSkipVerify: true } },
  ]);
});
