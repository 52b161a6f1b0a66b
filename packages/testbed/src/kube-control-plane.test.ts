import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { dirname, join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { promisify } from 'node:util';
import {
  ApiException,
  ApiextensionsV1Api,
  CoreV1Api,
  CustomObjectsApi,
  PatchStrategy,
  RbacAuthorizationV1Api,
  VersionApi,
  setHeaderOptions,
  type V1CustomResourceDefinition,
} from '@kubernetes/client-node';
import { startControlPlane, type ControlPlane } from './kube-control-plane.ts';
import { waitUntil } from './wait.ts';

const GROUP = 'testbed.instant-logs.dev';
const MANAGER = 'kube-control-plane-test';
const SSA = setHeaderOptions('Content-Type', PatchStrategy.ServerSideApply);

const crd: V1CustomResourceDefinition = {
  apiVersion: 'apiextensions.k8s.io/v1',
  kind: 'CustomResourceDefinition',
  metadata: { name: `widgets.${GROUP}` },
  spec: {
    group: GROUP,
    names: { kind: 'Widget', plural: 'widgets', singular: 'widget' },
    scope: 'Namespaced',
    versions: [
      {
        name: 'v1',
        served: true,
        storage: true,
        schema: {
          openAPIV3Schema: {
            type: 'object',
            properties: { spec: { type: 'object', properties: { size: { type: 'integer' } } } },
          },
        },
      },
    ],
  },
};

describe('Kubernetes control plane', () => {
  let cp: ControlPlane;
  let startMs = 0;
  // Its own timeout: hooks get the runner's --test-timeout, not the suite's, and a first run builds the binaries.
  before(
    async () => {
      const t0 = performance.now();
      cp = await startControlPlane();
      startMs = performance.now() - t0;
    },
    { timeout: 60 * 60_000 },
  );
  after(() => cp?.stop());

  it('serves /version stamped with the built Kubernetes release', async (t) => {
    t.diagnostic(`control plane started in ${Math.round(startMs)} ms (binary build included on a cold cache)`);
    const version = await cp.kubeConfig.makeApiClient(VersionApi).getCode();
    assert.match(version.gitVersion, /^v1\.\d+\.\d+$/);
    assert.equal(`v${version.major}.${version.minor}`, version.gitVersion.split('.').slice(0, 2).join('.'));
  });

  it('creates a namespace and a ConfigMap in it', async () => {
    const core = cp.kubeConfig.makeApiClient(CoreV1Api);
    const namespace = await createNamespace('basics');
    await core.createNamespacedConfigMap({
      namespace,
      body: { metadata: { name: 'settings' }, data: { level: 'info' } },
    });
    const read = await core.readNamespacedConfigMap({ namespace, name: 'settings' });
    assert.deepEqual(read.data, { level: 'info' });
  });

  it('server-side applies a custom object once its CRD is Established', async () => {
    await installCrd();
    const namespace = await createNamespace('ssa');
    const applied = (await applyWidget(namespace, 'first', 3)) as {
      spec: { size: number };
      metadata: { managedFields: { manager: string; operation: string }[] };
    };
    assert.equal(applied.spec.size, 3);
    assert.ok(applied.metadata.managedFields.some((f) => f.manager === MANAGER && f.operation === 'Apply'));
    const reapplied = (await applyWidget(namespace, 'first', 5)) as { spec: { size: number } };
    assert.equal(reapplied.spec.size, 5);
  });

  it('garbage-collects a ConfigMap whose owning custom object was deleted', async () => {
    await installCrd(); // before the controller manager, whose GC discovers resource types only every 30 s
    await cp.startControllerManager();
    const namespace = await createNamespace('gc');
    const owner = (await applyWidget(namespace, 'owner', 1)) as { metadata: { uid: string } };
    const core = cp.kubeConfig.makeApiClient(CoreV1Api);
    const ownerReferences = [{ apiVersion: `${GROUP}/v1`, kind: 'Widget', name: 'owner', uid: owner.metadata.uid }];
    await core.createNamespacedConfigMap({ namespace, body: { metadata: { name: 'owned', ownerReferences } } });
    await core.createNamespacedConfigMap({ namespace, body: { metadata: { name: 'unowned' } } });

    await cp.kubeConfig
      .makeApiClient(CustomObjectsApi)
      .deleteNamespacedCustomObject({ group: GROUP, version: 'v1', namespace, plural: 'widgets', name: 'owner' });
    await waitUntil(
      'the owned ConfigMap is gone',
      async () => statusOf(core.readNamespacedConfigMap({ namespace, name: 'owned' })).then((s) => s === 404),
      60_000,
    );
    assert.equal(await statusOf(core.readNamespacedConfigMap({ namespace, name: 'unowned' })), 200);
  });

  it('forbids a ServiceAccount to list pods until a RoleBinding allows it', async () => {
    const namespace = await createNamespace('rbac');
    const core = cp.kubeConfig.makeApiClient(CoreV1Api);
    await core.createNamespacedServiceAccount({ namespace, body: { metadata: { name: 'reader' } } });
    const asReader = (await cp.userKubeConfig('reader', namespace)).makeApiClient(CoreV1Api);
    assert.equal(await statusOf(asReader.listNamespacedPod({ namespace })), 403);

    const rbac = cp.kubeConfig.makeApiClient(RbacAuthorizationV1Api);
    await rbac.createNamespacedRole({
      namespace,
      body: { metadata: { name: 'pod-reader' }, rules: [{ apiGroups: [''], resources: ['pods'], verbs: ['list'] }] },
    });
    const subjects = [{ kind: 'ServiceAccount', name: 'reader', namespace }];
    await rbac.createNamespacedRoleBinding({
      namespace,
      body: {
        metadata: { name: 'reader' },
        roleRef: { apiGroup: 'rbac.authorization.k8s.io', kind: 'Role', name: 'pod-reader' },
        subjects,
      },
    });
    // The RBAC authorizer reads from an informer cache, so the grant lands a moment later.
    await waitUntil(
      'the RoleBinding takes effect',
      async () => (await statusOf(asReader.listNamespacedPod({ namespace }))) === 200,
      10_000,
    );
    assert.equal(await statusOf(asReader.listNamespacedPod({ namespace: 'default' })), 403);
  });

  it('lets kubectl and helm use the kubeconfig file', async () => {
    const helmHome = join(dirname(cp.kubeconfigPath), 'helm'); // keeps helm out of the user's ~/.config and ~/.cache
    const env = {
      ...process.env,
      KUBECONFIG: cp.kubeconfigPath,
      HELM_CACHE_HOME: helmHome,
      HELM_CONFIG_HOME: helmHome,
      HELM_DATA_HOME: helmHome,
    };
    const whoami = await promisify(execFile)(join(cp.binDir, 'kubectl'), ['auth', 'whoami', '-o', 'json'], { env });
    assert.ok(
      (JSON.parse(whoami.stdout) as { status: { userInfo: { groups: string[] } } }).status.userInfo.groups.includes(
        'system:masters',
      ),
    );
    const helm = await promisify(execFile)(join(cp.binDir, 'helm'), ['list', '--all-namespaces', '-o', 'json'], {
      env,
    });
    assert.deepEqual(JSON.parse(helm.stdout), []);
  });

  async function createNamespace(prefix: string): Promise<string> {
    const ns = await cp.kubeConfig
      .makeApiClient(CoreV1Api)
      .createNamespace({ body: { metadata: { generateName: `${prefix}-` } } });
    return ns.metadata!.name!;
  }

  async function installCrd(): Promise<void> {
    const api = cp.kubeConfig.makeApiClient(ApiextensionsV1Api);
    await api.patchCustomResourceDefinition(
      { name: crd.metadata!.name!, body: crd, fieldManager: MANAGER, force: true },
      SSA,
    );
    await waitUntil('the CRD is Established', async () => {
      const live = await api.readCustomResourceDefinition({ name: crd.metadata!.name! });
      return live.status?.conditions?.some((c) => c.type === 'Established' && c.status === 'True') === true;
    });
  }

  function applyWidget(namespace: string, name: string, size: number): Promise<object> {
    const body = { apiVersion: `${GROUP}/v1`, kind: 'Widget', metadata: { name, namespace }, spec: { size } };
    const api = cp.kubeConfig.makeApiClient(CustomObjectsApi);
    return api.patchNamespacedCustomObject(
      { group: GROUP, version: 'v1', namespace, plural: 'widgets', name, body, fieldManager: MANAGER, force: true },
      SSA,
    );
  }
});

/** The HTTP status a client-node call ended with: 200 on success, the ApiException's code otherwise. */
async function statusOf(call: Promise<unknown>): Promise<number> {
  try {
    await call;
    return 200;
  } catch (err) {
    if (err instanceof ApiException) return err.code;
    throw err;
  }
}
