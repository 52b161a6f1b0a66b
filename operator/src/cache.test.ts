import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import type { ControlPlane } from '@instant-logs/testbed';
import { startCache, OWNED_KINDS, type Cache } from './cache.ts';
import { createKubeClient, type KubeClient, type KubeObject, type KubeRequest } from './kube/client.ts';
import { RESOURCES } from './kube/resources.ts';
import { reconcile, type ReconcileDeps } from './reconcile.ts';
import {
  installCrd,
  KEDA_SCALED_OBJECT_CRD,
  markEverythingReady,
  SERVICE_MONITOR_CRD,
  startTestCluster,
  until,
} from './test-cluster.ts';

let plane: ControlPlane;
let admin: KubeClient;
let newNamespace: () => Promise<string>;
// Every optional CRD installed, so every owned kind is served and read.
before(async () => {
  ({ plane, client: admin, namespace: newNamespace } = await startTestCluster());
  await installCrd(admin, KEDA_SCALED_OBJECT_CRD);
  await installCrd(admin, SERVICE_MONITOR_CRD);
});
after(() => plane.stop());

const LABEL = 'logging.instantdev.io/pipeline';
const minimal = { kafka: { cluster: 'kafka', topic: { replicas: 1 } }, clickhouse: { managed: {} } };
const createPipeline = (namespace: string, name: string, spec: object = minimal) =>
  admin.create(RESOURCES.LogPipeline, {
    apiVersion: 'logging.instantdev.io/v1alpha1',
    kind: 'LogPipeline',
    metadata: { name, namespace },
    spec,
  });

/** A client whose every HTTP request is recorded, and a cache of one namespace read through it. */
async function counted(namespace: string): Promise<{ requests: KubeRequest[]; client: KubeClient; cache: Cache }> {
  const requests: KubeRequest[] = [];
  const client = createKubeClient(plane.kubeConfig, { onRequest: (r) => requests.push(r) });
  const cache = await startCache(client, { namespace, onChange: () => undefined, onError: () => undefined });
  await cache.synced();
  return { requests, client, cache };
}

/** Whether the cache holds exactly the API server's current version of the pipeline and of each object it labels. */
async function caughtUp(cache: Cache, ns: string, name: string): Promise<boolean> {
  const versions = (objs: KubeObject[]) =>
    objs
      .map((o) => `${o.metadata.name}@${o.metadata.resourceVersion}`)
      .sort()
      .join();
  if (
    (await cache.pipeline(ns, name))?.metadata.resourceVersion !==
    (await admin.get(RESOURCES.LogPipeline, ns, name))?.metadata.resourceVersion
  )
    return false;
  for (const kind of OWNED_KINDS) {
    const type = await cache.served(kind);
    if (!type) continue;
    if (versions(await cache.labelled(type, ns, name)) !== versions(await admin.list(type, ns, `${LABEL}=${name}`)))
      return false;
  }
  return true;
}

/** Reconciles until a pass changes nothing and the cache has seen every write; returns the requests of one more pass. */
async function settle(
  deps: ReconcileDeps,
  requests: KubeRequest[],
  cache: Cache,
  ns: string,
  name: string,
): Promise<KubeRequest[]> {
  await until('a reconcile that changes nothing, seen by the cache', async () => {
    const { changed } = await reconcile(deps, ns, name);
    return changed.length === 0 && caughtUp(cache, ns, name);
  });
  requests.length = 0;
  assert.deepEqual((await reconcile(deps, ns, name)).changed, []);
  return [...requests];
}

test('a reconcile of a settled pipeline reads the informer caches and sends no request; reading the API server it sent dozens', async (t) => {
  const ns = await newNamespace();
  await createPipeline(ns, 'quiet');
  const { requests, client, cache } = await counted(ns);
  try {
    const deps: ReconcileDeps = {
      client,
      reader: cache,
      now: () => new Date().toISOString(),
      newPassword: () => 'generated-password-1',
    };
    await reconcile(deps, ns, 'quiet');
    await markEverythingReady(admin, ns, 'quiet');
    const cached = await settle(deps, requests, cache, ns, 'quiet');

    // The same pass without the caches: what every reconcile cost before they were read.
    requests.length = 0;
    assert.deepEqual((await reconcile({ ...deps, reader: undefined }, ns, 'quiet')).changed, []);
    const live = [...requests];
    t.diagnostic(
      `requests per no-op reconcile: ${cached.length} from the caches, ${live.length} from the API server (${live.filter((r) => r.method === 'GET' && /labelSelector/.test(r.path)).length} LISTs)`,
    );

    assert.deepEqual(
      cached.map((r) => `${r.method} ${r.path}`),
      [],
    );
    assert.ok(
      live.length >= OWNED_KINDS.length + 1,
      `the live reader lists each owned kind and reads the pipeline: ${live.length}`,
    );
    assert.ok(
      live.every((r) => r.method === 'GET'),
      'neither pass writes anything',
    );
  } finally {
    cache.stop();
  }
});

test('with the caches, an owned field someone edited is applied back and a value dropped from the desired object is removed', async () => {
  const ns = await newNamespace();
  await createPipeline(ns, 'drift');
  const { requests, client, cache } = await counted(ns);
  try {
    const deps: ReconcileDeps = {
      client,
      reader: cache,
      now: () => new Date().toISOString(),
      newPassword: () => 'generated-password-1',
    };
    await reconcile(deps, ns, 'drift');
    await settle(deps, requests, cache, ns, 'drift');

    type Policy = KubeObject & { spec: { ingress: { ports: { port: number }[] }[] } };
    const policy = (await admin.get<Policy>(RESOURCES.NetworkPolicy, ns, 'drift-query'))!;
    await admin.replace(RESOURCES.NetworkPolicy, {
      ...policy,
      spec: { ...policy.spec, ingress: [{ ports: [{ port: 1 }] }] },
    });
    await until('the cache to see the edit', () => caughtUp(cache, ns, 'drift'));
    assert.deepEqual((await reconcile(deps, ns, 'drift')).changed, ['NetworkPolicy/drift-query']);
    assert.deepEqual(
      (await admin.get<Policy>(RESOURCES.NetworkPolicy, ns, 'drift-query'))!.spec.ingress[0]!.ports.map((p) => p.port),
      [8082],
    );

    // Tenants put a hash on the collector's pods; without tenants the annotation must go, though
    // every value the new desired object has is still in place.
    type Workload = KubeObject & { spec: { template: { metadata: { annotations?: Record<string, string> } } } };
    const tenantsHash = async () =>
      (await admin.get<Workload>(RESOURCES.Deployment, ns, 'drift-collector'))!.spec.template.metadata.annotations?.[
        'logging.instantdev.io/tenants-hash'
      ];
    const edit = async (spec: object) => {
      const p = (await admin.get<KubeObject & { spec: object }>(RESOURCES.LogPipeline, ns, 'drift'))!;
      await admin.replace(RESOURCES.LogPipeline, { ...p, spec: { ...p.spec, ...spec } });
      await until('the cache to see the pipeline edit', () => caughtUp(cache, ns, 'drift'));
      await settle(deps, requests, cache, ns, 'drift');
    };
    await edit({ tenants: [{ name: 'team-a', recordsPerSecond: 10 }] });
    assert.ok(await tenantsHash());
    await edit({ tenants: [] });
    assert.equal(await tenantsHash(), undefined);
  } finally {
    cache.stop();
  }
});

test('quantities written as whole numbers reach the pods as quantity strings, and a settled pipeline with them sends no request', async () => {
  const ns = await newNamespace();
  const resources = { requests: { cpu: 1, memory: 268435456 }, limits: { cpu: 2, memory: 1073741824 } };
  await createPipeline(ns, 'numbers', {
    ...minimal,
    collector: { resources },
    clickhouse: { managed: { storage: { size: 10737418240 } } },
  });
  const { requests, client, cache } = await counted(ns);
  try {
    const deps: ReconcileDeps = {
      client,
      reader: cache,
      now: () => new Date().toISOString(),
      newPassword: () => 'generated-password-1',
    };
    await reconcile(deps, ns, 'numbers');
    type Pod = { containers: { resources: unknown }[] };
    const collector = (await admin.get<KubeObject & { spec: { template: { spec: Pod } } }>(
      RESOURCES.Deployment,
      ns,
      'numbers-collector',
    ))!;
    assert.deepEqual(collector.spec.template.spec.containers[0]!.resources, {
      requests: { cpu: '1', memory: '268435456' },
      limits: { cpu: '2', memory: '1073741824' },
    });
    const clickhouse = (await admin.get<
      KubeObject & { spec: { volumeClaimTemplates: { spec: { resources: { requests: { storage: string } } } }[] } }
    >(RESOURCES.StatefulSet, ns, 'numbers-clickhouse'))!;
    assert.equal(clickhouse.spec.volumeClaimTemplates[0]!.spec.resources.requests.storage, '10737418240');
    assert.deepEqual(await settle(deps, requests, cache, ns, 'numbers'), []);
  } finally {
    cache.stop();
  }
});
