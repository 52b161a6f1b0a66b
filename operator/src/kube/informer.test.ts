import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import type { ControlPlane } from '@instant-logs/testbed';
import { startTestCluster, until } from '../test-cluster.ts';
import type { KubeClient, KubeObject } from './client.ts';
import { startInformer } from './informer.ts';
import { RESOURCES } from './resources.ts';

let plane: ControlPlane;
let client: KubeClient;
let newNamespace: () => Promise<string>;
before(async () => {
  ({ plane, client, namespace: newNamespace } = await startTestCluster());
});
after(() => plane.stop());

const configMap = (namespace: string, name: string): KubeObject => ({
  apiVersion: 'v1',
  kind: 'ConfigMap',
  metadata: { name, namespace },
  data: { k: name },
});

test('after its watch breaks the informer lists again, reporting what changed while it was away', async () => {
  const ns = await newNamespace();
  await client.create(RESOURCES.ConfigMap, configMap(ns, 'before'));

  // The real client, except that the first watch stalls (drops events) and then fails, as a
  // connection does when the network or the API server goes away.
  let stalled = false;
  let breakFirstWatch!: () => void;
  const broken = new Promise<void>((resolve) => (breakFirstWatch = resolve));
  let watches = 0;
  const flaky: KubeClient = {
    ...client,
    async watch(t, namespace, resourceVersion, onEvent, done, labelSelector) {
      if (++watches > 1) return client.watch(t, namespace, resourceVersion, onEvent, done, labelSelector);
      const controller = await client.watch(
        t,
        namespace,
        resourceVersion,
        (type, obj) => stalled || onEvent(type, obj),
        () => undefined,
        labelSelector,
      );
      void broken.then(() => {
        controller.abort();
        done(new Error('connection reset by peer'));
      });
      return controller;
    },
  };

  const events: string[] = [];
  const errors: unknown[] = [];
  const informer = startInformer(flaky, RESOURCES.ConfigMap, {
    namespace: ns,
    onChange: (obj, event) => events.push(`${event} ${obj.metadata.name}`),
    onError: (err) => errors.push(err),
    backoff: { initialMs: 50, maxMs: 200 },
  });
  try {
    await informer.synced();
    await client.create(RESOURCES.ConfigMap, configMap(ns, 'live'));
    await until('the live event', async () => events.includes('ADDED live'));

    stalled = true;
    await client.create(RESOURCES.ConfigMap, configMap(ns, 'missed'));
    await client.delete(RESOURCES.ConfigMap, ns, 'before');
    breakFirstWatch();

    await until(
      'the relist to report what was missed',
      async () => events.includes('ADDED missed') && events.includes('DELETED before'),
    );
    assert.equal(errors.length, 1);
    assert.match(String(errors[0]), /connection reset/);
    assert.equal(informer.get(`${ns}/before`), undefined);
    assert.ok(informer.get(`${ns}/missed`));

    // And it keeps watching on the new connection.
    await client.create(RESOURCES.ConfigMap, configMap(ns, 'after'));
    await until('an event on the new watch', async () => events.includes('ADDED after'));
    assert.equal(watches, 2);
  } finally {
    informer.stop();
  }
});

test('an informer with a label selector caches only matching objects, from its watch as from its list', async () => {
  const ns = await newNamespace();
  const labelled = (name: string): KubeObject => ({
    ...configMap(ns, name),
    metadata: { name, namespace: ns, labels: { mine: 'yes' } },
  });
  await client.create(RESOURCES.ConfigMap, labelled('listed'));
  await client.create(RESOURCES.ConfigMap, configMap(ns, 'other-listed'));
  const events: string[] = [];
  const informer = startInformer(client, RESOURCES.ConfigMap, {
    namespace: ns,
    labelSelector: 'mine',
    onChange: (obj, event) => events.push(`${event} ${obj.metadata.name}`),
  });
  try {
    await informer.synced();
    // The unlabelled one goes first: had the watch no selector, its event would arrive before the labelled one's.
    await client.create(RESOURCES.ConfigMap, configMap(ns, 'other-watched'));
    await client.create(RESOURCES.ConfigMap, labelled('watched'));
    await until('the labelled ConfigMap from the watch', async () => events.includes('ADDED watched'));
    assert.deepEqual(events, ['ADDED listed', 'ADDED watched']);
    assert.deepEqual(informer.keys().sort(), [`${ns}/listed`, `${ns}/watched`]);
  } finally {
    informer.stop();
  }
});

test('a watch the server ends on time is resumed from the last version seen, without listing again', async () => {
  const ns = await newNamespace();
  let lists = 0;
  let watches = 0;
  let endFirstWatch!: () => void;
  const counting: KubeClient = {
    ...client,
    listVersion: (...args) => (lists++, client.listVersion(...args)),
    async watch(t, namespace, resourceVersion, onEvent, done, labelSelector) {
      if (++watches > 1) return client.watch(t, namespace, resourceVersion, onEvent, done, labelSelector);
      const controller = await client.watch(t, namespace, resourceVersion, onEvent, () => undefined, labelSelector);
      endFirstWatch = () => (controller.abort(), done());
      return controller;
    },
  };
  const events: string[] = [];
  const errors: unknown[] = [];
  const informer = startInformer(counting, RESOURCES.ConfigMap, {
    namespace: ns,
    onChange: (obj, event) => events.push(`${event} ${obj.metadata.name}`),
    onError: (err) => errors.push(err),
  });
  try {
    await informer.synced();
    await client.create(RESOURCES.ConfigMap, configMap(ns, 'first'));
    await until('the first event', async () => events.includes('ADDED first'));
    endFirstWatch();
    await client.create(RESOURCES.ConfigMap, configMap(ns, 'second'));
    await until('the second event, on the resumed watch', async () => events.includes('ADDED second'));
    assert.deepEqual(events, ['ADDED first', 'ADDED second'], 'nothing missed, nothing reported twice');
    assert.equal(lists, 1);
    assert.equal(watches, 2);
    assert.deepEqual(errors, []);
  } finally {
    informer.stop();
  }
});
