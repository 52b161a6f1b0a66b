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
const children: ChildProcess[] = [];

before(async () => {
  ({ plane, client, namespace: newNamespace } = await startTestCluster());
});
after(async () => {
  for (const child of children) {
    if (child.exitCode !== null || child.signalCode !== null) continue;
    child.kill('SIGKILL');
    await once(child, 'exit');
  }
  await plane.stop();
});

/** Starts the operator's main.ts in its own process; resolves with the process and its HTTP base URL. */
async function spawnOperator(
  namespace: string,
  podName: string,
  env: Record<string, string> = {},
): Promise<{ child: ChildProcess; url: string }> {
  const child = spawn(process.execPath, [MAIN], {
    env: {
      ...process.env,
      KUBECONFIG: plane.kubeconfigPath,
      PORT: '0',
      HOST: '127.0.0.1',
      POD_NAMESPACE: namespace,
      POD_NAME: podName,
      LOG_LEVEL: 'info',
      ...env,
    },
    stdio: ['ignore', 'pipe', 'inherit'],
  });
  children.push(child);
  // Reads every line for as long as the process runs, so a chatty one never blocks on a full pipe.
  const listening = new Promise<string>((resolve, reject) => {
    createInterface({ input: child.stdout! }).on('line', (line) => {
      const m = /Server listening at (http:\/\/127\.0\.0\.1:\d+)/.exec(line);
      if (m) resolve(m[1]!);
    });
    child.once('exit', () => reject(new Error(`The operator ${podName} exited before listening`)));
  });
  return { child, url: await listening };
}
type LeaseView = KubeObject & { spec: { holderIdentity: string; leaseTransitions?: number } };

test('the operator process reconciles a LogPipeline, serves health and metrics, and stops cleanly on SIGTERM', async () => {
  const ns = await newNamespace();
  const { child, url } = await spawnOperator(ns, 'operator-0');
  await client.create(RESOURCES.LogPipeline, {
    apiVersion: 'logging.instantdev.io/v1alpha1',
    kind: 'LogPipeline',
    metadata: { name: 'proc', namespace: ns },
    spec: { kafka: { bootstrapServers: 'kafka.example:9092' }, clickhouse: { managed: {} } },
  });
  await until(
    'the processor Deployment',
    async () => (await client.get<KubeObject>(RESOURCES.Deployment, ns, 'proc-processor')) !== undefined,
  );
  await until('readiness', async () => (await fetch(`${url}/readyz`)).status === 200);
  // The Deployment appears mid-reconcile; the counter moves when the reconcile ends.
  const metrics = await until('a successful reconcile in /metrics', async () => {
    const text = await (await fetch(`${url}/metrics`)).text();
    return /^instant_logs_operator_reconciles_total\{result="success"\} [1-9]/m.test(text) ? text : undefined;
  });
  assert.match(metrics, /^instant_logs_operator_leader 1$/m);
  const lease = await client.get<LeaseView>(RESOURCES.Lease, ns, 'instant-logs-operator');
  assert.equal(lease?.spec.holderIdentity, 'operator-0');
  child.kill('SIGTERM');
  const [code] = await once(child, 'exit');
  assert.equal(code, 0);
  const released = await client.get<LeaseView>(RESOURCES.Lease, ns, 'instant-logs-operator');
  assert.equal(released?.spec.holderIdentity, '', 'the lease is released for a fast handover');
});

test('two operator processes: when the leader is killed outright, the other takes over and reconciles', async () => {
  const ns = await newNamespace();
  const env = { LEASE_DURATION_SECONDS: '2' };
  const replicas = [await spawnOperator(ns, 'operator-a', env), await spawnOperator(ns, 'operator-b', env)];
  const holder = async () =>
    (await client.get<LeaseView>(RESOURCES.Lease, ns, 'instant-logs-operator'))?.spec.holderIdentity;
  const first = await until('a leader', async () => (await holder()) || undefined);
  const [leader, other] = first === 'operator-a' ? replicas : [replicas[1]!, replicas[0]!];

  leader!.child.kill('SIGKILL'); // no chance to release the lease
  await once(leader!.child, 'exit');
  await client.create(RESOURCES.LogPipeline, {
    apiVersion: 'logging.instantdev.io/v1alpha1',
    kind: 'LogPipeline',
    metadata: { name: 'orphan', namespace: ns },
    spec: { kafka: { bootstrapServers: 'kafka.example:9092' }, clickhouse: { managed: {} } },
  });
  await until(
    'the survivor to hold the lease',
    async () => (await holder()) !== first && (await holder()) !== '',
    30_000,
  );
  await until(
    'the survivor to reconcile the new pipeline',
    async () => (await client.get<KubeObject>(RESOURCES.Deployment, ns, 'orphan-collector')) !== undefined,
    30_000,
  );
  const lease = await client.get<LeaseView>(RESOURCES.Lease, ns, 'instant-logs-operator');
  assert.equal(lease?.spec.leaseTransitions, 1);
  assert.equal((await fetch(`${other!.url}/healthz`)).status, 200);
  const metrics = await (await fetch(`${other!.url}/metrics`)).text();
  assert.match(metrics, /^instant_logs_operator_leader 1$/m);
});
