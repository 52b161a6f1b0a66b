import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { startControlPlane, waitUntil as until, type ControlPlane } from '@instant-logs/testbed';
import { createKubeClient, type KubeClient, type KubeObject } from './kube/client.ts';
import { RESOURCES } from './kube/resources.ts';
import { runLeaderElection } from './leader.ts';

type LeaseView = KubeObject & { spec: { holderIdentity: string; leaseTransitions: number; acquireTime: string; renewTime: string } };

let plane: ControlPlane;
let client: KubeClient;
before(async () => {
  plane = await startControlPlane();
  client = createKubeClient(plane.kubeConfig);
});
after(() => plane.stop());


test('of two candidates exactly one leads, and the other takes over when it steps down', async () => {
  const leading = new Set<string>();
  const history: string[] = [];
  const start = (identity: string) => {
    const stop = new AbortController();
    const done = runLeaderElection(
      {
        client,
        namespace: 'default',
        leaseName: 'operator-test',
        identity,
        leaseDurationSeconds: 2,
        retryMs: 100,
        onStartedLeading: () => (leading.add(identity), history.push(`+${identity}`)),
        onStoppedLeading: () => (leading.delete(identity), history.push(`-${identity}`)),
      },
      stop.signal,
    );
    return { stop: () => (stop.abort(), done) };
  };
  const a = start('a');
  await until('a to lead', () => leading.has('a'));
  const b = start('b');
  // While a keeps renewing past the lease's whole duration, b (retrying every 100 ms) must not lead.
  await until('a to renew past one lease duration', async () => {
    const l = await client.get<LeaseView>(RESOURCES.Lease, 'default', 'operator-test');
    return !!l && Date.parse(l.spec.renewTime) - Date.parse(l.spec.acquireTime) > 2500;
  });
  assert.deepEqual([...leading], ['a']);
  await a.stop();
  await until('b to take over', () => leading.has('b'));
  assert.deepEqual(history, ['+a', '-a', '+b']);
  const lease = await client.get<LeaseView>(RESOURCES.Lease, 'default', 'operator-test');
  assert.equal(lease?.spec.holderIdentity, 'b');
  assert.equal(lease?.spec.leaseTransitions, 1);
  await b.stop();
});
