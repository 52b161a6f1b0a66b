import { test } from 'node:test';
import assert from 'node:assert/strict';
import { desired, TENANTS_HASH_ANNOTATION } from './index.ts';
import { context, envVar, find, has, mainContainer, pipeline, templateOf } from './test-pipeline.ts';

const tenants = {
  tenantDefaults: { recordsPerSecond: 1000, burstSeconds: 5 },
  tenants: [
    { name: 'team-a', retentionDays: 7, bytesPerSecond: 1048576 },
    { name: 'team_b', recordsPerSecond: 50 },
  ],
};
const tenantsJson = (spec: Parameters<typeof pipeline>[0]) =>
  JSON.parse(
    (find(desired(pipeline(spec), context()), 'ConfigMap', 'demo-tenants')['data'] as Record<string, string>)[
      'tenants.json'
    ]!,
  ) as unknown;
const hashOf = (spec: Parameters<typeof pipeline>[0]) =>
  templateOf(find(desired(pipeline(spec), context()), 'Deployment', 'demo-collector')).metadata?.annotations?.[
    TENANTS_HASH_ANNOTATION
  ];

test('tenants and tenantDefaults become tenants.json in the collector’s TENANTS_FILE format', () => {
  assert.deepEqual(tenantsJson(tenants), {
    defaults: { recordsPerSecond: 1000, burstSeconds: 5 },
    tenants: { 'team-a': { retentionDays: 7, bytesPerSecond: 1048576 }, team_b: { recordsPerSecond: 50 } },
  });
});

const shapes: [string, Parameters<typeof pipeline>[0], unknown][] = [
  ['only tenantDefaults', { tenantDefaults: { retentionDays: 14 } }, { defaults: { retentionDays: 14 }, tenants: {} }],
  ['only tenants', { tenants: [{ name: 'solo' }] }, { defaults: {}, tenants: { solo: {} } }],
];
for (const [what, spec, expected] of shapes) {
  test(`with ${what} the file still has both sections`, () => assert.deepEqual(tenantsJson(spec), expected));
}

test('the tenants ConfigMap is mounted into the collector only, and named by TENANTS_FILE', () => {
  const objects = desired(pipeline(tenants), context());
  const d = find(objects, 'Deployment', 'demo-collector');
  assert.equal(envVar(mainContainer(d), 'TENANTS_FILE')?.value, '/etc/instant-logs/tenants/tenants.json');
  assert.deepEqual(
    mainContainer(d).volumeMounts?.find((m) => m.name === 'tenants'),
    { name: 'tenants', mountPath: '/etc/instant-logs/tenants', readOnly: true },
  );
  assert.deepEqual(
    templateOf(d).spec!.volumes?.find((v) => v.name === 'tenants'),
    { name: 'tenants', configMap: { name: 'demo-tenants' } },
  );
  for (const other of ['demo-processor', 'demo-query'])
    assert.equal(envVar(mainContainer(find(objects, 'Deployment', other)), 'TENANTS_FILE'), undefined, other);
});

test('without tenant settings there is no tenants ConfigMap, TENANTS_FILE or tenants hash', () => {
  const objects = desired(pipeline(), context());
  assert.equal(has(objects, 'ConfigMap', 'demo-tenants'), false);
  assert.equal(envVar(mainContainer(find(objects, 'Deployment', 'demo-collector')), 'TENANTS_FILE'), undefined);
  assert.equal(hashOf({}), undefined);
});

test('changing a tenant’s limits changes the collector’s tenants hash, so its pods roll', () => {
  const changed = { ...tenants, tenants: [{ name: 'team-a', retentionDays: 8 }, tenants.tenants[1]!] };
  assert.match(hashOf(tenants)!, /^[0-9a-f]{8}$/);
  assert.notEqual(hashOf(tenants), hashOf(changed));
  assert.equal(hashOf(tenants), hashOf(structuredClone(tenants)));
});
