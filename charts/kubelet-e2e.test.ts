import assert from 'node:assert/strict';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import { fileURLToPath } from 'node:url';
import { CoreV1Api } from '@kubernetes/client-node';
import {
  dockerfileImages,
  imageBuildUnavailable,
  kubeNodeUnavailable,
  startClickHouseServer,
  startKafkaBroker,
  startKubeNode,
  waitUntil,
  type ClickHouseServer,
  type KafkaBroker,
  type KubeNode,
} from '@instant-logs/testbed';
import {
  CH_USER,
  exec,
  GROUP,
  inChromium,
  NS,
  PIPELINE,
  senderPod,
  splitImage,
  storedBodies,
  SYSTEM_NS,
  VERSION,
  waitForPipelineReady,
  waitForReadyPods,
  waitForRecords,
  waitForSender,
} from './kubelet-e2e-steps.ts';

// The deploy path for real: the images built from this repository's Dockerfile, the operator installed
// with helm, a LogPipeline applied with kubectl, and logs through running pods of a real kubelet
// (packages/testbed/src/kube-node.ts). Kafka and ClickHouse are test-bed stand-ins on the host's end of
// the node's veth (the Maven Kafka jars, the libchdb ClickHouse server), given to the pipeline as its
// external `kafka.bootstrapServers` and `clickhouse.external`. Pods find Services by name through the test
// bed's cluster DNS (packages/testbed/src/cluster-dns.ts): the senders post to the collector's, and the
// dashboard's nginx proxies to the query service's, as the operator addresses it. The host, outside the
// cluster, reaches Services by ClusterIP.
const ROOT = fileURLToPath(new URL('../', import.meta.url));
const unavailable = kubeNodeUnavailable() ?? imageBuildUnavailable();
if (unavailable) console.log(`# Skipping the kubelet end-to-end test: ${unavailable}`);

interface Timings {
  [step: string]: number;
}

describe('The operator and a LogPipeline on a one-node cluster with a kubelet', { skip: unavailable }, () => {
  let node: KubeNode;
  let clickhouse: ClickHouseServer;
  let kafka: KafkaBroker;
  let core: CoreV1Api;
  let images: Awaited<ReturnType<typeof dockerfileImages>>;
  let lastRun = '';
  const timings: Timings = {};
  const timed = async <T>(step: string, fn: () => Promise<T>): Promise<T> => {
    const t0 = performance.now();
    try {
      return await fn();
    } finally {
      timings[step] = Math.round(performance.now() - t0);
    }
  };
  const kubectl = (args: string[], input?: string) =>
    exec(join(node.controlPlane.binDir, 'kubectl'), ['--kubeconfig', node.controlPlane.kubeconfigPath, ...args], input);
  const helm = (...args: string[]) =>
    exec(join(node.controlPlane.binDir, 'helm'), ['--kubeconfig', node.controlPlane.kubeconfigPath, ...args]);

  before(
    async () => {
      images = await timed('images', () => dockerfileImages(undefined, (l) => console.log(`# image ${l}`)));
      node = await timed('cluster', () => startKubeNode());
      core = node.controlPlane.kubeConfig.makeApiClient(CoreV1Api);
      await timed('import', () => node.importImages(...Object.values(images)));
      [clickhouse, kafka] = await timed('stand-ins', () =>
        Promise.all([
          startClickHouseServer({ host: node.network.hostIp, users: [CH_USER] }),
          startKafkaBroker({ host: node.network.hostIp }),
        ]),
      );
    },
    { timeout: 90 * 60_000 },
  );
  after(async () => {
    await node?.stop();
    await Promise.all([clickhouse?.stop(), kafka?.stop()]);
    console.log(`# timings (ms): ${JSON.stringify(timings)}`);
  });

  test('helm install runs the operator from its image until Ready', async () => {
    const [repository, tag] = splitImage(images.operator.name);
    await timed('helm install', () =>
      helm(
        'install',
        'instant-logs-operator',
        join(ROOT, 'charts/instant-logs-operator'),
        '--namespace',
        SYSTEM_NS,
        '--create-namespace',
        '--set',
        `image.repository=${repository}`,
        '--set',
        `image.tag=${tag}`,
        '--set',
        'image.pullPolicy=Never',
      ),
    );
    await timed('operator Ready', () => waitForReadyPods(core, SYSTEM_NS, 1, 180_000));
  });

  test('a LogPipeline runs every component as Ready pods', async () => {
    await core.createNamespace({ body: { metadata: { name: NS } } });
    await core.createNamespacedSecret({
      namespace: NS,
      body: { metadata: { name: 'clickhouse' }, stringData: { username: CH_USER.name, password: CH_USER.password } },
    });
    const pipeline = {
      apiVersion: `${GROUP}/${VERSION}`,
      kind: 'LogPipeline',
      metadata: { name: PIPELINE, namespace: NS },
      spec: {
        kafka: { bootstrapServers: kafka.bootstrap, topic: { partitions: 2, replicas: 1 } },
        clickhouse: { external: { url: clickhouse.url, credentialsSecretRef: { name: 'clickhouse' } } },
        collector: { replicas: 2 },
        processor: { minReplicas: 1, maxReplicas: 2 },
        query: { replicas: 1 },
        dashboard: { replicas: 1 },
        images: {
          collector: images.collector.name,
          processor: images.processor.name,
          query: images.query.name,
          dashboard: images.dashboard.name,
          pullPolicy: 'Never',
        },
      },
    };
    await kubectl(['apply', '-f', '-'], JSON.stringify(pipeline));
    // collector ×2, processor, query, dashboard
    await timed('pipeline Ready', () => waitForReadyPods(core, NS, 5, 300_000));
    await waitForPipelineReady(node);
  });

  // With kafka.bootstrapServers the setup Job creates the topics; a processor that starts first waits for its topic
  // (it used to exit, and kubelet restarted it with backoff).
  test('no component restarted on the way to Ready', async () => {
    const pods = (await core.listNamespacedPod({ namespace: NS })).items;
    const restarts = pods.flatMap((p) =>
      (p.status?.containerStatuses ?? []).filter((c) => c.restartCount > 0).map(() => p.metadata?.name),
    );
    assert.deepEqual(restarts, []);
  });

  test('logs sent from a pod to the collector Service, by its name, come back through the query Service', async () => {
    const run = `e2e-${Date.now()}`;
    await core.createNamespacedPod({
      namespace: NS,
      body: senderPod('sender-1', images.collector.name, `http://${PIPELINE}-collector:8081`, run, 20),
    });
    const acked = await timed('send 20 batches', () => waitForSender(core, 'sender-1', 20));
    assert.equal(acked.size, 20);
    const found = await timed('query back', () => waitForRecords(kubectl, run, 200));
    assert.equal(found, 200);
    lastRun = run;
  });

  // nginx serves the page and proxies /api to the query Service by the name the operator gives it; the query
  // service serves the same page itself. The host reaches a ClusterIP through the node's kube-proxy.
  const clusterIP = async (component: string) =>
    (await core.readNamespacedService({ name: `${PIPELINE}-${component}`, namespace: NS })).spec?.clusterIP;
  for (const [component, port] of [
    ['dashboard', 8080],
    ['query', 8082],
  ] as const) {
    test(`the dashboard, served by the ${component} Service, shows them in Chromium`, async () => {
      const url = `http://${await clusterIP(component)}:${port}/?q=${encodeURIComponent(`"${lastRun}"`)}&from=now-1h`;
      await inChromium(async (page) => {
        await timed(`page from ${component}`, () => page.goto(url));
        await page.getByTestId('log-row').first().waitFor({ timeout: 60_000 });
        const messages = await page.getByTestId('row-message').allTextContents();
        assert.ok(messages.length > 0);
        assert.ok(
          messages.every((m) => m.startsWith(`${lastRun} batch=`)),
          messages.join('\n'),
        );
      });
    });
  }

  test("live tail in Chromium goes through the dashboard's nginx (a WebSocket proxied to the query Service)", async () => {
    const run = `live-${Date.now()}`;
    const [dashboard, collector] = [await clusterIP('dashboard'), await clusterIP('collector')];
    await inChromium(async (page) => {
      await page.goto(`http://${dashboard}:8080/?live=1&q=${encodeURIComponent(`"${run}"`)}`);
      await page.locator('[data-testid="tail-bar"][data-state="live"]').waitFor({ timeout: 60_000 });
      const res = await fetch(`http://${collector}:8081/api/v1/logs`, {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body: JSON.stringify({ service: 'e2e', level: 'info', message: `${run} tailed` }),
      });
      assert.equal(res.status, 202);
      await timed('live tail', () => page.getByTestId('row-message').first().waitFor({ timeout: 60_000 }));
      assert.deepEqual(await page.getByTestId('row-message').allTextContents(), [`${run} tailed`]);
    });
  });

  test('scaling the processor through the LogPipeline adds a Ready processor pod', async () => {
    await kubectl([
      'patch',
      'logpipeline',
      PIPELINE,
      '-n',
      NS,
      '--type=merge',
      '-p',
      '{"spec":{"processor":{"minReplicas":2}}}',
    ]);
    await timed('processor scaled', () =>
      waitForReadyPods(core, NS, 2, 120_000, 'app.kubernetes.io/component=processor'),
    );
  });

  test('helm upgrade of the operator chart rolls the operator and leaves the pipeline Ready', async () => {
    const before = await core.listNamespacedPod({ namespace: SYSTEM_NS });
    await timed('helm upgrade', () =>
      helm(
        'upgrade',
        'instant-logs-operator',
        join(ROOT, 'charts/instant-logs-operator'),
        '--namespace',
        SYSTEM_NS,
        '--reuse-values',
        '--set',
        'logLevel=debug',
      ),
    );
    const old = new Set(before.items.map((p) => p.metadata?.name));
    await timed('operator rolled', () =>
      waitUntil(
        'a new operator pod to be Ready',
        async () => {
          const pods = (await core.listNamespacedPod({ namespace: SYSTEM_NS })).items;
          return (
            pods.length === 1 &&
            !old.has(pods[0]!.metadata?.name) &&
            pods[0]!.status?.conditions?.some((c) => c.type === 'Ready' && c.status === 'True')
          );
        },
        120_000,
        500,
      ),
    );
    await waitForPipelineReady(node);
  });

  test('killing the operator, a collector and a processor pod loses no acknowledged record', async () => {
    const run = `kill-${Date.now()}`;
    const batches = 150;
    await core.createNamespacedPod({
      namespace: NS,
      body: senderPod('sender-2', images.collector.name, `http://${PIPELINE}-collector:8081`, run, batches),
    });
    const kill = async (namespace: string, component: string, afterBatch: number) => {
      await waitUntil(
        `batch ${afterBatch} to be acknowledged`,
        async () => {
          const log = await core.readNamespacedPodLog({ name: 'sender-2', namespace: NS }).catch(() => '');
          return new RegExp(`^acked ${afterBatch}$`, 'm').test(log);
        },
        120_000,
        200,
      );
      const pods = await core.listNamespacedPod({
        namespace,
        labelSelector: `app.kubernetes.io/component=${component}`,
      });
      const victim = pods.items.find((p) => p.status?.phase === 'Running');
      assert.ok(victim?.metadata?.name, `a running ${component} pod in ${namespace}`);
      await core.deleteNamespacedPod({ name: victim.metadata.name, namespace, gracePeriodSeconds: 0 });
      return victim.metadata.name;
    };
    const killed = await timed('kills', async () => [
      await kill(SYSTEM_NS, 'operator', 10),
      await kill(NS, 'collector', 30),
      await kill(NS, 'processor', 60),
    ]);
    console.log(`# killed ${killed.join(', ')}`);
    const acked = await timed('send 150 batches with kills', () => waitForSender(core, 'sender-2', batches));
    assert.equal(acked.size, batches);
    // Every acknowledged record, read from ClickHouse itself (1,500 is more than one page of the query API).
    const stored = await timed('all acknowledged stored', () =>
      waitUntil(
        'every acknowledged record in ClickHouse',
        async () => {
          const bodies = await storedBodies(clickhouse, run);
          return bodies.size >= acked.size * 10 && bodies;
        },
        180_000,
        500,
      ),
    );
    const missing = [...acked].flatMap((i) =>
      Array.from({ length: 10 }, (_, j) => `${run} batch=${i} n=${j}`).filter((b) => !stored.has(b)),
    );
    assert.deepEqual(missing, []);
    // The killed pods are replaced: the operator (its Deployment) and the pipeline's components run again.
    await timed('pods replaced', async () => {
      await waitForReadyPods(core, SYSTEM_NS, 1, 120_000);
      await waitForReadyPods(core, NS, 5, 120_000, 'app.kubernetes.io/managed-by=instant-logs-operator');
    });
  });

  test('deleting the LogPipeline removes every object it owns', async () => {
    for (const name of ['sender-1', 'sender-2']) await core.deleteNamespacedPod({ name, namespace: NS });
    await kubectl(['delete', 'logpipeline', PIPELINE, '-n', NS, '--wait=true']);
    const left = await timed('pipeline gone', () =>
      waitUntil(
        "the pipeline's objects to go",
        async () => {
          const out = await kubectl(['get', 'all,configmaps,secrets,networkpolicies', '-n', NS, '-o', 'name']);
          const owned = out.split('\n').filter((l) => l.includes(PIPELINE));
          return owned.length === 0 && owned;
        },
        180_000,
        500,
      ),
    );
    assert.deepEqual(left, []);
  });
});
