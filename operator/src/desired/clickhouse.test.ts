import { test } from 'node:test';
import assert from 'node:assert/strict';
import type { V1StatefulSetSpec } from '@kubernetes/client-node';
import { desired } from './index.ts';
import {
  context,
  envVar,
  EXTERNAL_CLICKHOUSE,
  find,
  has,
  mainContainer,
  PASSWORD,
  pipeline,
  specOf,
  templateOf,
  workloads,
} from './test-pipeline.ts';

const managed = {
  managed: { storage: { size: '200Gi', storageClassName: 'fast-ssd' }, image: 'mirror.local/clickhouse-server:25.8.1' },
};

test('managed ClickHouse is a one-replica StatefulSet behind a headless Service, with a volume claim from the spec', () => {
  const objects = desired(pipeline({ clickhouse: managed }), context());
  const sts = specOf<V1StatefulSetSpec>(find(objects, 'StatefulSet', 'demo-clickhouse'));
  assert.equal(sts.serviceName, 'demo-clickhouse-headless');
  assert.equal(sts.replicas, 1);
  assert.equal(sts.volumeClaimTemplates?.length, 1);
  assert.deepEqual(sts.volumeClaimTemplates![0]!.spec, {
    accessModes: ['ReadWriteOnce'],
    storageClassName: 'fast-ssd',
    resources: { requests: { storage: '200Gi' } },
  });
  const c = sts.template.spec!.containers[0]!;
  assert.equal(c.image, 'mirror.local/clickhouse-server:25.8.1');
  assert.deepEqual(c.ports, [
    { name: 'http', containerPort: 8123 },
    { name: 'native', containerPort: 9000 },
  ]);
  assert.ok(c.volumeMounts?.some((m) => m.name === 'data' && m.mountPath === '/var/lib/clickhouse'));
  assert.equal(sts.template.spec!.securityContext?.runAsUser, 101);
  assert.equal(sts.template.spec!.securityContext?.fsGroup, 101);
  assert.equal(c.securityContext?.readOnlyRootFilesystem, true);
  assert.equal(specOf(find(objects, 'Service', 'demo-clickhouse-headless'))['clusterIP'], 'None');
  assert.equal('clusterIP' in specOf(find(objects, 'Service', 'demo-clickhouse')), false);
});

test('without a storage class the claim leaves it to the cluster default', () => {
  const sts = specOf<V1StatefulSetSpec>(find(desired(pipeline(), context()), 'StatefulSet', 'demo-clickhouse'));
  assert.equal('storageClassName' in sts.volumeClaimTemplates![0]!.spec!, false);
});

test('the credentials Secret holds user instant_logs and the password from the context', () => {
  const secret = find(desired(pipeline(), context()), 'Secret', 'demo-clickhouse-credentials');
  const data = secret['data'] as Record<string, string>;
  assert.equal(Buffer.from(data['username']!, 'base64').toString(), 'instant_logs');
  assert.equal(Buffer.from(data['password']!, 'base64').toString(), PASSWORD);
});

test('the password appears in no object but the Secret', () => {
  for (const o of desired(pipeline(), context({ keda: true, prometheusOperator: true }))) {
    if (o.kind === 'Secret') continue;
    assert.equal(JSON.stringify(o).includes(PASSWORD), false, `${o.kind}/${o.metadata.name}`);
  }
});

test('a managed ClickHouse without a password from the reconciler is refused', () => {
  assert.throws(() => desired(pipeline(), context({}, null)), /no clickhousePassword/);
});

test('the server config listens on 0.0.0.0, keeps data on the volume, and the user reads its password from the Secret', () => {
  const objects = desired(pipeline(), context());
  const data = find(objects, 'ConfigMap', 'demo-clickhouse')['data'] as Record<string, string>;
  assert.match(data['server.xml']!, /<listen_host>0\.0\.0\.0<\/listen_host>/);
  assert.match(data['server.xml']!, /<path>\/var\/lib\/clickhouse\/<\/path>/);
  assert.match(data['users.xml']!, /<instant_logs>\s*<password from_env="INSTANT_LOGS_PASSWORD"\/>/);
  const c = mainContainer(find(objects, 'StatefulSet', 'demo-clickhouse'));
  assert.deepEqual(envVar(c, 'INSTANT_LOGS_PASSWORD')?.valueFrom, {
    secretKeyRef: { name: 'demo-clickhouse-credentials', key: 'password' },
  });
});

test('a change to the ClickHouse config rolls the pod through a hash annotation', () => {
  const annotations = templateOf(find(desired(pipeline(), context()), 'StatefulSet', 'demo-clickhouse')).metadata
    ?.annotations;
  assert.match(annotations?.['logging.instantdev.io/config-hash'] ?? '', /^[0-9a-f]{8}$/);
});

test('services of a managed ClickHouse read the generated credentials and the in-cluster URL', () => {
  const objects = desired(pipeline(), context());
  const settings = find(objects, 'ConfigMap', 'demo-pipeline')['data'] as Record<string, string>;
  assert.equal(settings['CLICKHOUSE_URL'], 'http://demo-clickhouse:8123');
  assert.equal(settings['CLICKHOUSE_DATABASE'], 'instant_logs');
  const c = mainContainer(find(objects, 'Deployment', 'demo-processor'));
  assert.deepEqual(envVar(c, 'CLICKHOUSE_USER')?.valueFrom, {
    secretKeyRef: { name: 'demo-clickhouse-credentials', key: 'username' },
  });
});

test('external ClickHouse: no StatefulSet, Services, Secret or NetworkPolicy for it; the URL and the user’s Secret are wired instead', () => {
  const objects = desired(pipeline({ clickhouse: EXTERNAL_CLICKHOUSE }), context({}, null));
  assert.equal(has(objects, 'StatefulSet'), false);
  assert.equal(has(objects, 'Secret'), false);
  assert.equal(
    objects.some((o) => o.metadata.name.startsWith('demo-clickhouse')),
    false,
  );
  const settings = find(objects, 'ConfigMap', 'demo-pipeline')['data'] as Record<string, string>;
  assert.equal(settings['CLICKHOUSE_URL'], 'https://ch.example.com:8443');
  assert.equal(settings['CLICKHOUSE_DATABASE'], 'logs_db');
  const users = workloads(objects).filter(
    (o) => ['demo-processor', 'demo-query'].includes(o.metadata.name) || o.kind === 'Job',
  );
  assert.equal(users.length, 3);
  for (const w of users) {
    const c = mainContainer(w);
    assert.deepEqual(
      envVar(c, 'CLICKHOUSE_USER')?.valueFrom,
      { secretKeyRef: { name: 'ch-creds', key: 'user' } },
      w.metadata.name,
    );
    assert.deepEqual(
      envVar(c, 'CLICKHOUSE_PASSWORD')?.valueFrom,
      { secretKeyRef: { name: 'ch-creds', key: 'pass' } },
      w.metadata.name,
    );
  }
});

test('a new managed password rolls ClickHouse, the processor and the query service through a hash annotation, never the collector', () => {
  const annotation = (objects: ReturnType<typeof desired>, kind: string, name: string) =>
    templateOf(find(objects, kind, name)).metadata?.annotations?.['logging.instantdev.io/credentials-hash'];
  const readers: [string, string][] = [
    ['StatefulSet', 'demo-clickhouse'],
    ['Deployment', 'demo-processor'],
    ['Deployment', 'demo-query'],
  ];
  const one = desired(pipeline(), context());
  const other = desired(pipeline(), context({}, 'another-password'));
  for (const [kind, name] of readers) {
    assert.match(annotation(one, kind, name) ?? '', /^[0-9a-f]{8}$/, name);
    assert.notEqual(annotation(one, kind, name), annotation(other, kind, name), name);
  }
  assert.equal(annotation(one, 'Deployment', 'demo-collector'), undefined);
  const external = desired(pipeline({ clickhouse: EXTERNAL_CLICKHOUSE }), context({}, null));
  assert.equal(
    annotation(external, 'Deployment', 'demo-processor'),
    undefined,
    'an external ClickHouse’s password is not ours to hash',
  );
});
