import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { CoreV1Api, type V1Pod } from '@kubernetes/client-node';
import { kubeNodeUnavailable, startKubeNode, type KubeNode } from './kube-node.ts';
import { BUSYBOX_IMAGE } from './oci-images.ts';
import { waitUntil } from './wait.ts';

const unavailable = kubeNodeUnavailable();
if (unavailable) console.log(`# Skipping the kubelet node tests: ${unavailable}`);

const NS = 'node-test';

function busyboxPod(name: string, script: string, labels: Record<string, string> = {}): V1Pod {
  return {
    metadata: { name, namespace: NS, labels },
    spec: {
      restartPolicy: 'Never',
      terminationGracePeriodSeconds: 0,
      containers: [{ name: 'main', image: BUSYBOX_IMAGE, imagePullPolicy: 'Never', command: ['sh', '-c', script] }],
    },
  };
}

// Both ranges the node claims are /24s.
const sameSubnet = (ip: string, cidr: string) =>
  ip.split('.').slice(0, 3).join('.') === cidr.split('.').slice(0, 3).join('.');

describe('One-node Kubernetes cluster (kubelet, containerd, CNI bridge, kube-proxy)', { skip: unavailable }, () => {
  let node: KubeNode;
  let core: CoreV1Api;
  let startMs = 0;
  before(
    async () => {
      const t0 = performance.now();
      node = await startKubeNode();
      startMs = performance.now() - t0;
      core = node.controlPlane.kubeConfig.makeApiClient(CoreV1Api);
      await core.createNamespace({ body: { metadata: { name: NS } } });
    },
    { timeout: 60 * 60_000 },
  );
  after(() => node?.stop());

  it('registers a Ready node', async () => {
    const n = await core.readNode({ name: node.nodeName });
    assert.ok(n.status?.conditions?.some((c) => c.type === 'Ready' && c.status === 'True'));
    assert.equal(n.status?.addresses?.find((a) => a.type === 'InternalIP')?.address, node.network.nodeIp);
    console.log(`# cluster with a Ready node in ${Math.round(startMs)} ms`);
  });

  it('runs a pod from a locally built image and shows its log', async () => {
    await core.createNamespacedPod({
      namespace: NS,
      body: busyboxPod('greeter', 'echo "hello from $(hostname)"; exec sleep 3600'),
    });
    const pod = await waitUntil(
      'pod greeter to run',
      async () => {
        const p = await core.readNamespacedPod({ name: 'greeter', namespace: NS });
        return p.status?.phase === 'Running' && p;
      },
      60_000,
      200,
    );
    assert.equal(sameSubnet(pod.status?.podIP ?? '', node.podCidr), true);
    const log = await waitUntil(
      'the greeting in the log',
      async () => {
        const text = await core.readNamespacedPodLog({ name: 'greeter', namespace: NS, container: 'main' });
        return text.includes('hello from greeter') && text;
      },
      30_000,
      200,
    );
    assert.equal(log.trim(), 'hello from greeter');
  });

  it('reaches a pod through its Service (ClusterIP via kube-proxy) from another pod', async () => {
    await core.createNamespacedService({
      namespace: NS,
      body: {
        metadata: { name: 'web', namespace: NS },
        spec: { selector: { app: 'web' }, ports: [{ port: 80, targetPort: 8080 }] },
      },
    });
    await core.createNamespacedPod({
      namespace: NS,
      body: busyboxPod(
        'web',
        'mkdir /www && echo "served by $(hostname)" > /www/index.html && exec httpd -f -p 8080 -h /www',
        { app: 'web' },
      ),
    });
    // By the WEB_SERVICE_HOST/PORT variables kubelet sets, which need no DNS (the next test uses the names).
    // nc, not wget: the wget applet of Debian's busybox-static 1.35 dies of SIGSEGV at start.
    const get = 'printf "GET / HTTP/1.0\\r\\n\\r\\n" | nc -w 2 "$WEB_SERVICE_HOST" "$WEB_SERVICE_PORT"';
    await core.createNamespacedPod({
      namespace: NS,
      // Until the body came: busybox nc may stop reading when its stdin ends, leaving a partial answer.
      body: busyboxPod(
        'client',
        `until out=$(${get}) && echo "$out" | grep -q '^served by'; do sleep 0.2; done; echo "$out" | grep '^served by'`,
      ),
    });
    const client = await waitUntil(
      'the client pod to finish',
      async () => {
        const p = await core.readNamespacedPod({ name: 'client', namespace: NS });
        return (p.status?.phase === 'Succeeded' || p.status?.phase === 'Failed') && p;
      },
      90_000,
      250,
    );
    const log = await core.readNamespacedPodLog({ name: 'client', namespace: NS });
    const state = JSON.stringify(client.status?.containerStatuses?.[0]?.state);
    assert.equal(client.status?.phase, 'Succeeded', `${state}\n${log}`);
    assert.equal(log.trim(), 'served by web', state);
    const svc = await core.readNamespacedService({ name: 'web', namespace: NS });
    assert.equal(sameSubnet(svc.spec?.clusterIP ?? '', node.serviceCidr), true);
  });

  it('resolves the Service by its names from a pod, through the cluster DNS and the search domains', async () => {
    // The short forms are the resolver's: kubelet writes the namespace's search domains into resolv.conf.
    const names = ['web', 'web.node-test', 'web.node-test.svc.cluster.local'];
    const get = (host: string) => `printf "GET / HTTP/1.0\\r\\n\\r\\n" | nc -w 2 ${host} 80`;
    const fetchEach = names
      .map(
        (h) =>
          `n=0; until out=$(${get(h)}) && echo "$out" | grep -q '^served by'; do ` +
          `n=$((n+1)); [ $n -lt 100 ] || { echo "${h}: no answer"; exit 1; }; sleep 0.2; done; ` +
          `echo "${h}: $(echo "$out" | grep '^served by')"`,
      )
      .join('; ');
    await core.createNamespacedPod({
      namespace: NS,
      body: busyboxPod('resolver', `cat /etc/resolv.conf; ${fetchEach}`),
    });
    const pod = await waitUntil(
      'the resolver pod to finish',
      async () => {
        const p = await core.readNamespacedPod({ name: 'resolver', namespace: NS });
        return (p.status?.phase === 'Succeeded' || p.status?.phase === 'Failed') && p;
      },
      90_000,
      250,
    );
    const log = await core.readNamespacedPodLog({ name: 'resolver', namespace: NS });
    assert.equal(pod.status?.phase, 'Succeeded', log);
    assert.match(log, new RegExp(`^nameserver ${node.dns.host.replaceAll('.', '\\.')}$`, 'm'));
    assert.match(log, /^search node-test\.svc\.cluster\.local svc\.cluster\.local cluster\.local$/m);
    for (const name of names) assert.match(log, new RegExp(`^${name}: served by web$`, 'm'));
  });

  it('reaches the same Service from the host by its ClusterIP, through the node and kube-proxy', async () => {
    const svc = await core.readNamespacedService({ name: 'web', namespace: NS });
    const res = await fetch(`http://${svc.spec?.clusterIP}/`, { signal: AbortSignal.timeout(5_000) });
    assert.equal(res.status, 200);
    assert.equal((await res.text()).trim(), 'served by web');
  });
});
