import { test } from 'node:test';
import assert from 'node:assert/strict';
import { desired } from './index.ts';
import { context, envVar, find, mainContainer, pipeline, templateOf, workloads } from './test-pipeline.ts';

const all = (spec = {}) => workloads(desired(pipeline(spec), context({ keda: true })));

test('every pod is hardened: non-root, seccomp RuntimeDefault, no token, read-only root, no privilege escalation, no capabilities', () => {
  const pods = all();
  assert.deepEqual(pods.map((w) => w.kind).sort(), [
    'Deployment',
    'Deployment',
    'Deployment',
    'Deployment',
    'Job',
    'StatefulSet',
  ]);
  for (const w of pods) {
    const pod = templateOf(w).spec!;
    assert.equal(pod.automountServiceAccountToken, false, w.metadata.name);
    assert.equal(pod.securityContext?.runAsNonRoot, true, w.metadata.name);
    assert.deepEqual(pod.securityContext?.seccompProfile, { type: 'RuntimeDefault' }, w.metadata.name);
    assert.deepEqual(pod.volumes?.[0], { name: 'tmp', emptyDir: {} }, w.metadata.name);
    for (const c of pod.containers) {
      assert.deepEqual(
        c.securityContext,
        {
          runAsNonRoot: true,
          allowPrivilegeEscalation: false,
          readOnlyRootFilesystem: true,
          capabilities: { drop: ['ALL'] },
        },
        c.name,
      );
      assert.ok(
        c.volumeMounts?.some((m) => m.name === 'tmp' && m.mountPath === '/tmp'),
        c.name,
      );
    }
  }
});

test('the project’s images run as 10001, ClickHouse as its image’s user 101', () => {
  for (const w of all()) {
    const uid = w.kind === 'StatefulSet' ? 101 : 10001;
    assert.equal(templateOf(w).spec!.securityContext?.runAsUser, uid, w.metadata.name);
    assert.equal(templateOf(w).spec!.securityContext?.runAsGroup, uid, w.metadata.name);
  }
});

test("services are probed at /healthz and /readyz: collector and query on their probe thread's port, the others on their http port", () => {
  for (const [name, port] of [
    ['demo-collector', 'probe'],
    ['demo-processor', 'http'],
    ['demo-query', 'probe'],
    ['demo-dashboard', 'http'],
  ]) {
    const c = mainContainer(find(all(), 'Deployment', name!));
    assert.deepEqual(c.livenessProbe, { httpGet: { path: '/healthz', port } }, name);
    assert.deepEqual(c.readinessProbe, { httpGet: { path: '/readyz', port } }, name);
  }
  for (const name of ['demo-collector', 'demo-query']) {
    const c = mainContainer(find(all(), 'Deployment', name));
    assert.equal(envVar(c, 'PROBE_PORT')?.value, '8090', name);
    assert.ok(
      c.ports?.some((p) => p.name === 'probe' && p.containerPort === 8090),
      name,
    );
  }
});

test('resources are copied from the spec', () => {
  const spec = {
    collector: { resources: { requests: { cpu: '200m', memory: '300Mi' }, limits: { cpu: '3', memory: '1Gi' } } },
    processor: { resources: { requests: { cpu: '1', memory: '1Gi' }, limits: { cpu: '4', memory: '2Gi' } } },
    query: { resources: { requests: { cpu: '150m', memory: '200Mi' }, limits: { cpu: '2', memory: '800Mi' } } },
    dashboard: { resources: { requests: { cpu: '20m', memory: '32Mi' }, limits: { cpu: '100m', memory: '64Mi' } } },
    clickhouse: {
      managed: { resources: { requests: { cpu: '2', memory: '8Gi' }, limits: { cpu: '4', memory: '16Gi' } } },
    },
  };
  const objects = all(spec);
  for (const component of ['collector', 'processor', 'query', 'dashboard'] as const) {
    assert.deepEqual(
      mainContainer(find(objects, 'Deployment', `demo-${component}`)).resources,
      spec[component].resources,
      component,
    );
  }
  assert.deepEqual(
    mainContainer(find(objects, 'StatefulSet', 'demo-clickhouse')).resources,
    spec.clickhouse.managed.resources,
  );
  assert.deepEqual(mainContainer(objects.find((o) => o.kind === 'Job')!).resources, spec.processor.resources);
});

test('images and pull policy come from spec.images', () => {
  const images = {
    collector: 'r.local/c:1',
    processor: 'r.local/p:1',
    query: 'r.local/q:1',
    dashboard: 'r.local/d:1',
    pullPolicy: 'Always' as const,
  };
  const objects = all({ images });
  for (const component of ['collector', 'processor', 'query', 'dashboard'] as const) {
    assert.equal(mainContainer(find(objects, 'Deployment', `demo-${component}`)).image, images[component]);
  }
  assert.equal(mainContainer(objects.find((o) => o.kind === 'Job')!).image, images.processor);
  for (const w of objects) assert.equal(mainContainer(w).imagePullPolicy, 'Always', w.metadata.name);
});

test('quantities written as whole numbers become quantity strings in every container and the data volume claim', () => {
  const objects = all({
    processor: { resources: { requests: { cpu: 1, memory: 536870912 }, limits: { cpu: 4, memory: '2Gi' } } },
    clickhouse: { managed: { storage: { size: 53687091200 } } },
  });
  const expected = { requests: { cpu: '1', memory: '536870912' }, limits: { cpu: '4', memory: '2Gi' } };
  assert.deepEqual(mainContainer(find(objects, 'Deployment', 'demo-processor')).resources, expected);
  assert.deepEqual(mainContainer(objects.find((o) => o.kind === 'Job')!).resources, expected);
  const claim = (
    find(objects, 'StatefulSet', 'demo-clickhouse')['spec'] as {
      volumeClaimTemplates: { spec: { resources: { requests: { storage: unknown } } } }[];
    }
  ).volumeClaimTemplates[0]!;
  assert.equal(claim.spec.resources.requests.storage, '53687091200');
});
