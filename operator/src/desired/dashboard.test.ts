import { test } from 'node:test';
import assert from 'node:assert/strict';
import { desired } from './index.ts';
import { context, envVar, find, mainContainer, pipeline, specOf, templateOf } from './test-pipeline.ts';

// [case, tls spec, QUERY_URL, TLS_CERT_FILE, TLS_KEY_FILE, probe scheme, Service port name]
const cases: [string, object, string, string | undefined, string | undefined, string | undefined, string][] = [
  ['without TLS', {}, 'http://demo-query:8082', undefined, undefined, undefined, 'http'],
  [
    'with tls.secretName',
    { secretName: 'web-tls' },
    'https://demo-query:8082',
    '/etc/instant-logs/tls/tls.crt',
    '/etc/instant-logs/tls/tls.key',
    'HTTPS',
    'https',
  ],
  // The dashboard never asks for client certificates: only the collector does.
  [
    'with tls.secretName and clientAuth require',
    { secretName: 'web-tls', clientAuth: 'require' },
    'https://demo-query:8082',
    '/etc/instant-logs/tls/tls.crt',
    '/etc/instant-logs/tls/tls.key',
    'HTTPS',
    'https',
  ],
];

for (const [name, tls, queryUrl, certFile, keyFile, scheme, portName] of cases) {
  const objects = () => desired(pipeline({ tls }), context());

  test(`${name} the dashboard proxies to ${queryUrl} and gets TLS_CERT_FILE ${certFile ?? '(unset)'} and TLS_KEY_FILE ${keyFile ?? '(unset)'}`, () => {
    const c = mainContainer(find(objects(), 'Deployment', 'demo-dashboard'));
    assert.equal(envVar(c, 'QUERY_URL')?.value, queryUrl);
    assert.equal(envVar(c, 'TLS_CERT_FILE')?.value, certFile);
    assert.equal(envVar(c, 'TLS_KEY_FILE')?.value, keyFile);
    assert.equal(envVar(c, 'TLS_CLIENT_AUTH'), undefined);
  });

  test(`${name} the dashboard is probed over ${scheme ?? 'HTTP'} on its container port`, () => {
    const c = mainContainer(find(objects(), 'Deployment', 'demo-dashboard'));
    assert.deepEqual(c.livenessProbe, { httpGet: { path: '/healthz', port: 'http', ...(scheme ? { scheme } : {}) } });
    assert.deepEqual(c.readinessProbe, { httpGet: { path: '/readyz', port: 'http', ...(scheme ? { scheme } : {}) } });
  });

  test(`${name} the dashboard Service port is named ${portName}`, () => {
    assert.deepEqual(specOf(find(objects(), 'Service', 'demo-dashboard'))['ports'], [
      { name: portName, port: 8080, targetPort: 8080 },
    ]);
  });

  test(`${name} the dashboard pod ${certFile ? 'mounts the TLS Secret read-only at /etc/instant-logs/tls' : 'has no tls volume'}`, () => {
    const d = find(objects(), 'Deployment', 'demo-dashboard');
    const volume = templateOf(d).spec!.volumes?.find((v) => v.name === 'tls');
    const mount = mainContainer(d).volumeMounts?.find((m) => m.name === 'tls');
    assert.deepEqual(volume, certFile ? { name: 'tls', secret: { secretName: 'web-tls' } } : undefined);
    assert.deepEqual(mount, certFile ? { name: 'tls', mountPath: '/etc/instant-logs/tls', readOnly: true } : undefined);
    // The hardened container keeps its writable /tmp beside the Secret.
    assert.ok(mainContainer(d).volumeMounts?.some((m) => m.name === 'tmp' && m.mountPath === '/tmp'));
  });
}
