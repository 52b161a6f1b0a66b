import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { spawn, type ChildProcess } from 'node:child_process';
import { once } from 'node:events';
import { createInterface } from 'node:readline';
import { fileURLToPath } from 'node:url';
import type { ControlPlane } from '@instant-logs/testbed';
import type { KubeClient, KubeObject } from './kube/client.ts';
import { RESOURCES } from './kube/resources.ts';
import { startTestCluster, until } from './test-cluster.ts';

// The operator as its container runs it: its own process, a kubeconfig, leader election on.
const MAIN = fileURLToPath(new URL('./main.ts', import.meta.url));
let plane: ControlPlane;
let client: KubeClient;
let newNamespace: () => Promise<string>;
let child: ChildProcess | undefined;

before(async () => {
  ({ plane, client, namespace: newNamespace } = await startTestCluster());
});
after(async () => {
  if (child && child.exitCode === null) {
    child.kill('SIGKILL');
    await once(child, 'exit');
  }
  await plane.stop();
});

test('the operator process reconciles a LogPipeline, serves health and metrics, and stops cleanly on SIGTERM', async () => {
  const ns = await newNamespace();
  child = spawn(process.execPath, [MAIN], {
    env: { ...process.env, KUBECONFIG: plane.kubeconfigPath, PORT: '0', HOST: '127.0.0.1', POD_NAMESPACE: ns, POD_NAME: 'operator-0', LOG_LEVEL: 'info' },
    stdio: ['ignore', 'pipe', 'inherit'],
  });
  let url: string | undefined;
  for await (const line of createInterface({ input: child.stdout! })) {
    const m = /Server listening at (http:\/\/127\.0\.0\.1:\d+)/.exec(line);
    if (m) {
      url = m[1];
      break;
    }
  }
  assert.ok(url);
  await client.create(RESOURCES.LogPipeline, {
    apiVersion: 'logging.instantdev.io/v1alpha1',
    kind: 'LogPipeline',
    metadata: { name: 'proc', namespace: ns },
    spec: { kafka: { bootstrapServers: 'kafka.example:9092' }, clickhouse: { managed: {} } },
  });
  await until('the processor Deployment', async () => (await client.get<KubeObject>(RESOURCES.Deployment, ns, 'proc-processor')) !== undefined);
  await until('readiness', async () => (await fetch(`${url}/readyz`)).status === 200);
  // The Deployment appears mid-reconcile; the counter moves when the reconcile ends.
  const metrics = await until('a successful reconcile in /metrics', async () => {
    const text = await (await fetch(`${url}/metrics`)).text();
    return /^instant_logs_operator_reconciles_total\{result="success"\} [1-9]/m.test(text) ? text : undefined;
  });
  assert.match(metrics, /^instant_logs_operator_leader 1$/m);
  const lease = await client.get<KubeObject & { spec: { holderIdentity: string } }>(RESOURCES.Lease, ns, 'instant-logs-operator');
  assert.equal(lease?.spec.holderIdentity, 'operator-0');
  child.kill('SIGTERM');
  const [code] = await once(child, 'exit');
  assert.equal(code, 0);
  const released = await client.get<KubeObject & { spec: { holderIdentity: string } }>(RESOURCES.Lease, ns, 'instant-logs-operator');
  assert.equal(released?.spec.holderIdentity, '', 'the lease is released for a fast handover');
});
