import { test } from 'node:test';
import assert from 'node:assert/strict';
import { APPLIED_HASH_ANNOTATION, stamped, upToDate } from './applied.ts';
import type { KubeObject } from './kube/client.ts';

const want = stamped({
  apiVersion: 'v1',
  kind: 'Service',
  metadata: { name: 's', namespace: 'n', labels: { a: '1' } },
  spec: { ports: [{ port: 80 }], selector: { a: '1' } },
});
// What the API server gives back for it: defaults, status and bookkeeping added.
const served: KubeObject = {
  ...want,
  metadata: { ...want.metadata, uid: 'u', resourceVersion: '7', managedFields: [] },
  spec: {
    ports: [{ port: 80, protocol: 'TCP', targetPort: 80 }],
    selector: { a: '1' },
    clusterIP: '10.0.0.1',
    type: 'ClusterIP',
  },
  status: { loadBalancer: {} },
};
const edit = (f: (o: KubeObject & { spec: { ports: object[]; selector: Record<string, string> } }) => void) => {
  const o = structuredClone(served) as KubeObject & { spec: { ports: object[]; selector: Record<string, string> } };
  f(o);
  return o;
};

test('stamping adds the hash of the object as desired and keeps its own annotations', () => {
  const annotated = stamped({ ...want, metadata: { name: 's', annotations: { x: 'y' } } });
  assert.equal(annotated.metadata.annotations?.['x'], 'y');
  assert.match(annotated.metadata.annotations?.[APPLIED_HASH_ANNOTATION] ?? '', /^[0-9a-f]{8}$/);
  assert.notEqual(
    annotated.metadata.annotations?.[APPLIED_HASH_ANNOTATION],
    want.metadata.annotations?.[APPLIED_HASH_ANNOTATION],
  );
});

test('an apply is skipped only when the live object holds every desired value and was applied from the same desired object', () => {
  const cases: [string, KubeObject | undefined, boolean][] = [
    ['the object as served, with defaults and status', served, true],
    ['no object yet', undefined, false],
    ['an object being deleted', edit((o) => (o.metadata.deletionTimestamp = '2026-01-01T00:00:00Z')), false],
    ['a desired value edited by someone', edit((o) => (o.spec.selector['a'] = '2')), false],
    ['a desired list entry removed by someone', edit((o) => (o.spec.ports = [])), false],
    ['a list entry added by someone', edit((o) => o.spec.ports.push({ port: 81 })), false],
    [
      'applied from another desired object (a field since dropped)',
      edit((o) => (o.metadata.annotations = { [APPLIED_HASH_ANNOTATION]: '00000000' })),
      false,
    ],
    ['never applied by this version (no hash)', edit((o) => delete o.metadata.annotations), false],
    ['a label someone else added', edit((o) => (o.metadata.labels = { ...o.metadata.labels, extra: 'x' })), true],
  ];
  for (const [what, live, skip] of cases) assert.equal(upToDate(want, live), skip, what);
});
