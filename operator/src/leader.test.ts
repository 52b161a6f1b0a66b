import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { startControlPlane, waitUntil as until, type ControlPlane } from '@instant-logs/testbed';
import { createKubeClient, type KubeClient, type KubeObject } from './kube/client.ts';
import { RESOURCES } from './kube/resources.ts';
import { microTime, runLeaderElection } from './leader.ts';

type LeaseView = KubeObject & {
  spec: { holderIdentity: string; leaseTransitions: number; acquireTime: string; renewTime: string };
};

let plane: ControlPlane;
let client: KubeClient;
before(async () => {
  plane = await startControlPlane();
  client = createKubeClient(plane.kubeConfig);
});
after(() => plane.stop());

const LEASE_SECONDS = 2;
let leases = 0;

/** A candidate on its own Lease name; `history` records +id / -id as it wins and loses. */
function candidate(identity: string, leaseName: string, history: string[], via: KubeClient = client) {
  const stop = new AbortController();
  let leading = false;
  const done = runLeaderElection(
    {
      client: via,
      namespace: 'default',
      leaseName,
      identity,
      leaseDurationSeconds: LEASE_SECONDS,
      renewDeadlineMs: 1500,
      retryMs: 100,
      onStartedLeading: () => ((leading = true), history.push(`+${identity}`)),
      onStoppedLeading: () => ((leading = false), history.push(`-${identity}`)),
    },
    stop.signal,
  );
  return { leading: () => leading, stop: () => (stop.abort(), done) };
}

const readLease = (name: string) => client.get<LeaseView>(RESOURCES.Lease, 'default', name);
const ghostLease = (name: string, renewTimeMs: number): KubeObject => ({
  apiVersion: 'coordination.k8s.io/v1',
  kind: 'Lease',
  metadata: { name, namespace: 'default' },
  spec: {
    holderIdentity: 'ghost',
    leaseDurationSeconds: LEASE_SECONDS,
    acquireTime: microTime(renewTimeMs),
    renewTime: microTime(renewTimeMs),
    leaseTransitions: 0,
  },
});

test('of two candidates exactly one leads, and the other takes over when it steps down', async () => {
  const name = `lease-${++leases}`;
  const history: string[] = [];
  const a = candidate('a', name, history);
  await until('a to lead', () => a.leading());
  const b = candidate('b', name, history);
  // While a keeps renewing past the lease's whole duration, b (retrying every 100 ms) must not lead.
  await until('a to renew past one lease duration', async () => {
    const l = await readLease(name);
    return !!l && Date.parse(l.spec.renewTime) - Date.parse(l.spec.acquireTime) > 2500;
  });
  assert.equal(b.leading(), false);
  await a.stop();
  await until('b to take over', () => b.leading());
  assert.deepEqual(history, ['+a', '-a', '+b']);
  const lease = await readLease(name);
  assert.equal(lease?.spec.holderIdentity, 'b');
  assert.equal(lease?.spec.leaseTransitions, 1);
  await b.stop();
});

test('renews that fail for less than the renew deadline do not cost the lease', async () => {
  const name = `lease-${++leases}`;
  const history: string[] = [];
  // The real client, except that three reads in a row fail as they do while the API server is away.
  let failNext = 0;
  let reads = 0;
  const flaky: KubeClient = {
    ...client,
    get: (t, ns, n) => (
      ++reads,
      failNext > 0 ? (failNext--, Promise.reject(new Error('connect ECONNREFUSED'))) : client.get(t, ns, n)
    ),
  };
  const a = candidate('a', name, history, flaky);
  try {
    await until('a to lead', () => a.leading());
    failNext = 3;
    const readsThen = reads;
    await until('the failures and two good renews after them', () => failNext === 0 && reads >= readsThen + 5);
    assert.deepEqual(history, ['+a']);
  } finally {
    await a.stop();
  }
});

test('after a kube-apiserver restart longer than the renew deadline the leader steps down and wins the lease back', async () => {
  const name = `lease-${++leases}`;
  const history: string[] = [];
  const a = candidate('a', name, history);
  try {
    await until('a to lead', () => a.leading());
    // Down until the leader has given up, however quick the restart would have been.
    await plane.restartApiServer(() => until('a to step down', () => !a.leading(), 60_000));
    await until('a to lead again', () => history.length === 3 && a.leading(), 60_000);
    assert.deepEqual(history, ['+a', '-a', '+a']);
    assert.equal((await readLease(name))?.spec.leaseTransitions, 0, 'it was never anyone else’s');
  } finally {
    await a.stop();
  }
});

test('a holder whose clock runs an hour behind keeps its lease while it renews', async () => {
  const name = `lease-${++leases}`;
  await client.create(RESOURCES.Lease, ghostLease(name, Date.now() - 3_600_000));
  const history: string[] = [];
  const b = candidate('b', name, history);
  try {
    // The ghost renews every 200 ms with its skewed clock, for more than two lease durations.
    let renews = 0;
    const ghost = setInterval(() => {
      void readLease(name)
        .then((lease) =>
          client.replace(RESOURCES.Lease, {
            ...lease!,
            spec: { ...lease!.spec, renewTime: microTime(Date.now() - 3_600_000) },
          }),
        )
        .then(
          () => renews++,
          () => undefined,
        );
    }, 200);
    try {
      await until(
        'the ghost to renew for two lease durations',
        () => renews * 200 > 2 * LEASE_SECONDS * 1000 + 500,
        30_000,
      );
    } finally {
      clearInterval(ghost);
    }
    assert.deepEqual(history, [], 'b judged the lease by when it saw it change, not by its renewTime');
    const stoppedAt = performance.now();
    await until('b to take over once the ghost stops', () => b.leading(), 10_000);
    assert.ok(performance.now() - stoppedAt >= LEASE_SECONDS * 1000 - 250, 'not before a lease duration of silence');
  } finally {
    await b.stop();
  }
});

test('a dead holder whose clock ran an hour ahead is replaced after one lease duration, not an hour', async () => {
  const name = `lease-${++leases}`;
  await client.create(RESOURCES.Lease, ghostLease(name, Date.now() + 3_600_000));
  const history: string[] = [];
  const startedAt = performance.now();
  const b = candidate('b', name, history);
  try {
    await until('b to take over', () => b.leading(), 10_000);
    assert.ok(performance.now() - startedAt >= LEASE_SECONDS * 1000, 'it first waits a lease duration of silence');
    const lease = await readLease(name);
    assert.equal(lease?.spec.holderIdentity, 'b');
    assert.equal(lease?.spec.leaseTransitions, 1);
  } finally {
    await b.stop();
  }
});
