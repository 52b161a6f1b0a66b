import { test } from 'node:test';
import assert from 'node:assert/strict';
import { desired } from './index.ts';
import { context, envVar, find, mainContainer, pipeline, templateOf } from './test-pipeline.ts';

const keysFile = { auth: { keysSecretRef: { name: 'hashed-keys' } } };

for (const name of ['demo-collector', 'demo-query']) {
  test(`the keys file Secret is a whole-volume mount at /etc/instant-logs/keys named by API_KEYS_FILE (${name})`, () => {
    const d = find(desired(pipeline(keysFile), context()), 'Deployment', name);
    const c = mainContainer(d);
    assert.equal(envVar(c, 'API_KEYS_FILE')?.value, '/etc/instant-logs/keys/keys.json');
    assert.deepEqual(
      c.volumeMounts?.find((m) => m.name === 'api-keys'),
      { name: 'api-keys', mountPath: '/etc/instant-logs/keys', readOnly: true },
    );
    assert.ok(
      c.volumeMounts?.every((m) => m.subPath === undefined),
      'a subPath mount would never see a rotated file',
    );
    assert.deepEqual(
      templateOf(d).spec!.volumes?.find((v) => v.name === 'api-keys'),
      { name: 'api-keys', secret: { secretName: 'hashed-keys' } },
    );
  });
}

test('the keys file is named by the Secret key the spec gives', () => {
  const c = mainContainer(
    find(
      desired(pipeline({ auth: { keysSecretRef: { name: 'hashed-keys', key: 'prod.json' } } }), context()),
      'Deployment',
      'demo-collector',
    ),
  );
  assert.equal(envVar(c, 'API_KEYS_FILE')?.value, '/etc/instant-logs/keys/prod.json');
});

const cases: [string, Parameters<typeof pipeline>[0], string[]][] = [
  ['no keys at all', {}, ['ALLOW_UNAUTHENTICATED']],
  ['plaintext keys only', { collector: { apiKeysSecretRef: { name: 'plain' } } }, ['API_KEYS']],
  ['the keys file only', keysFile, ['API_KEYS_FILE']],
  ['both', { ...keysFile, collector: { apiKeysSecretRef: { name: 'plain' } } }, ['API_KEYS', 'API_KEYS_FILE']],
];
for (const [what, spec, expected] of cases) {
  test(`with ${what} the services get exactly ${expected.join(' and ')}`, () => {
    for (const name of ['demo-collector', 'demo-query']) {
      const env = mainContainer(find(desired(pipeline(spec), context()), 'Deployment', name)).env!.map((e) => e.name);
      assert.deepEqual(
        env.filter((n) => ['API_KEYS', 'API_KEYS_FILE', 'ALLOW_UNAUTHENTICATED'].includes(n)),
        expected,
        name,
      );
    }
  });
}
