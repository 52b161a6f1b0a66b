import assert from 'node:assert/strict';
import { createSocket } from 'node:dgram';
import { once } from 'node:events';
import { Resolver } from 'node:dns/promises';
import { connect } from 'node:net';
import { after, before, describe, it } from 'node:test';
import { CoreV1Api, DiscoveryV1Api } from '@kubernetes/client-node';
import { startClusterDns, type ClusterDns } from './cluster-dns.ts';
import { RCODE } from './dns-message.ts';
import { startControlPlane, type ControlPlane } from './kube-control-plane.ts';
import { waitUntil } from './wait.ts';

const NS = 'dns-test';

/** A standard query for the A record of `name`, as a resolver sends it. */
function query(id: number, name: string): Buffer {
  const labels = name.split('.').map((l) => Buffer.concat([Buffer.from([l.length]), Buffer.from(l)]));
  const head = Buffer.from([id >> 8, id & 255, 0x01, 0x00, 0, 1, 0, 0, 0, 0, 0, 0]);
  return Buffer.concat([head, ...labels, Buffer.from([0, 0, 1, 0, 1])]);
}

describe('The test bed cluster DNS (Services of a real API server)', () => {
  let cp: ControlPlane;
  let dns: ClusterDns;
  let core: CoreV1Api;
  let resolver: Resolver;
  let clusterIP = '';
  before(
    async () => {
      cp = await startControlPlane();
      core = cp.kubeConfig.makeApiClient(CoreV1Api);
      await core.createNamespace({ body: { metadata: { name: NS } } });
      const svc = await core.createNamespacedService({
        namespace: NS,
        body: { metadata: { name: 'web' }, spec: { ports: [{ port: 80 }] } },
      });
      clusterIP = svc.spec?.clusterIP ?? '';
      dns = await startClusterDns({ kubeConfig: cp.kubeConfig, host: '127.0.0.1', port: 0 });
      // c-ares retries a lost UDP answer itself; one server, no fallback to the machine's.
      resolver = new Resolver({ timeout: 2_000, tries: 2 });
      resolver.setServers([`127.0.0.1:${dns.port}`]);
    },
    { timeout: 30 * 60_000 },
  );
  after(async () => {
    await dns?.stop();
    await cp?.stop();
  });

  it('answers a Service name with its ClusterIP', async () => {
    assert.match(clusterIP, /^\d+\.\d+\.\d+\.\d+$/);
    assert.deepEqual(await resolver.resolve4('web.dns-test.svc.cluster.local'), [clusterIP]);
    assert.deepEqual(await resolver.resolve4('WEB.Dns-Test.svc.cluster.local.'), [clusterIP]);
  });

  it('answers NXDOMAIN for an unknown Service, namespace or name outside the cluster domain', async () => {
    for (const name of ['nope.dns-test.svc.cluster.local', 'web.other.svc.cluster.local', 'example.org', 'web']) {
      await assert.rejects(resolver.resolve4(name), { code: 'ENOTFOUND' }, name);
    }
  });

  it('answers a known name asked for AAAA with no records rather than NXDOMAIN', async () => {
    await assert.rejects(resolver.resolve6('web.dns-test.svc.cluster.local'), { code: 'ENODATA' });
  });

  it('follows Services as they come and go', async () => {
    const svc = await core.createNamespacedService({
      namespace: NS,
      body: { metadata: { name: 'late' }, spec: { ports: [{ port: 8080 }] } },
    });
    const name = 'late.dns-test.svc.cluster.local';
    const seen = await waitUntil(
      'the new Service to resolve',
      () => resolver.resolve4(name).catch(() => undefined),
      10_000,
      50,
    );
    assert.deepEqual(seen, [svc.spec?.clusterIP]);
    await core.deleteNamespacedService({ name: 'late', namespace: NS });
    await waitUntil(
      'the deleted Service to be NXDOMAIN',
      () =>
        resolver.resolve4(name).then(
          () => false,
          (err: NodeJS.ErrnoException) => err.code === 'ENOTFOUND',
        ),
      10_000,
      50,
    );
  });

  it("answers a headless Service with its ready endpoints, and each endpoint's hostname with its address", async () => {
    await core.createNamespacedService({
      namespace: NS,
      body: { metadata: { name: 'db' }, spec: { clusterIP: 'None', ports: [{ port: 9000 }] } },
    });
    // As the EndpointSlice controller writes them for a StatefulSet's pods; a Service without a selector gets them by hand.
    await cp.kubeConfig.makeApiClient(DiscoveryV1Api).createNamespacedEndpointSlice({
      namespace: NS,
      body: {
        metadata: { name: 'db-1', labels: { 'kubernetes.io/service-name': 'db' } },
        addressType: 'IPv4',
        endpoints: [
          { addresses: ['10.244.0.10'], hostname: 'db-0', conditions: { ready: true } },
          { addresses: ['10.244.0.11'], hostname: 'db-1', conditions: { ready: true } },
          { addresses: ['10.244.0.12'], hostname: 'db-2', conditions: { ready: false } },
        ],
      },
    });
    const all = await waitUntil(
      'the headless Service to resolve',
      () => resolver.resolve4('db.dns-test.svc.cluster.local').catch(() => undefined),
      10_000,
      50,
    );
    assert.deepEqual(all.sort(), ['10.244.0.10', '10.244.0.11']);
    assert.deepEqual(await resolver.resolve4('db-1.db.dns-test.svc.cluster.local'), ['10.244.0.11']);
    await assert.rejects(resolver.resolve4('db-9.db.dns-test.svc.cluster.local'), { code: 'ENOTFOUND' });
    await assert.rejects(resolver.resolve4('db-0.web.dns-test.svc.cluster.local'), { code: 'ENOTFOUND' });
  });

  it('answers over TCP too, each message after its two-byte length', async () => {
    const socket = connect(dns.port, '127.0.0.1');
    await once(socket, 'connect');
    const q = query(0x1234, 'web.dns-test.svc.cluster.local');
    const framed = Buffer.alloc(2 + q.length);
    framed.writeUInt16BE(q.length);
    q.copy(framed, 2);
    socket.write(framed);
    const [data] = (await once(socket, 'data')) as [Buffer];
    socket.destroy();
    const msg = data.subarray(2, 2 + data.readUInt16BE(0));
    assert.equal(msg.readUInt16BE(0), 0x1234);
    assert.equal(msg.readUInt16BE(2) & 0xf, RCODE.NOERROR);
    assert.equal(msg.readUInt16BE(6), 1, 'one answer');
    assert.equal([...msg.subarray(msg.length - 4)].join('.'), clusterIP);
  });

  it('names the address when its port is taken', async () => {
    await assert.rejects(startClusterDns({ kubeConfig: cp.kubeConfig, host: '127.0.0.1', port: dns.port }), {
      message: new RegExp(`^Cannot answer DNS on 127\\.0\\.0\\.1:${dns.port}: .*EADDRINUSE`),
    });
  });

  it('refuses a message that is not a standard query with one question', async () => {
    const udp = createSocket('udp4');
    const bad = query(7, 'web.dns-test.svc.cluster.local');
    bad.writeUInt16BE(2, 4); // two questions
    udp.send(bad, dns.port, '127.0.0.1');
    const [msg] = (await once(udp, 'message')) as [Buffer];
    udp.close();
    assert.equal(msg.readUInt16BE(0), 7);
    assert.equal(msg.readUInt16BE(2) & 0xf, RCODE.FORMERR);
  });
});
