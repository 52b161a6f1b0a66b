import { createSocket } from 'node:dgram';
import { once } from 'node:events';
import { createServer, type Socket } from 'node:net';
import {
  CoreV1Api,
  DiscoveryV1Api,
  makeInformer,
  type KubeConfig,
  type V1EndpointSlice,
  type V1Service,
} from '@kubernetes/client-node';
import { answer, type Lookup } from './dns-message.ts';

export interface ClusterDnsOptions {
  /** Credentials that may list and watch Services and EndpointSlices in every namespace. */
  kubeConfig: KubeConfig;
  /** The address to answer on, over UDP and TCP. */
  host: string;
  /** Default 53 (what a pod's resolv.conf implies); 0 picks a free port, the same for UDP and TCP. */
  port?: number;
  /** kubelet's clusterDomain (default cluster.local). */
  domain?: string;
}

export interface ClusterDns {
  host: string;
  port: number;
  domain: string;
  stop(): Promise<void>;
}

// CoreDNS's kubernetes plugin answers with the same TTL by default.
const TTL = 5;
const RESTART_MS = 1_000;

/**
 * A cluster DNS for the test bed, where no package provides CoreDNS: it watches Services and EndpointSlices
 * through the API server and answers A queries for `<service>.<namespace>.svc.<domain>` with the ClusterIP, or
 * for a headless Service with its ready endpoints, and `<hostname>.<service>.<namespace>.svc.<domain>` with a
 * headless Service's endpoint of that hostname (a StatefulSet's pod). The short forms come from the search
 * domains kubelet writes into each pod's resolv.conf. Every other name is NXDOMAIN: pods here reach nothing
 * outside the cluster. ExternalName Services get no records, and there are no SRV or PTR records.
 */
export async function startClusterDns(o: ClusterDnsOptions): Promise<ClusterDns> {
  const domain = o.domain ?? 'cluster.local';
  const core = o.kubeConfig.makeApiClient(CoreV1Api);
  const discovery = o.kubeConfig.makeApiClient(DiscoveryV1Api);
  const services = makeInformer<V1Service>(o.kubeConfig, '/api/v1/services', () => core.listServiceForAllNamespaces());
  const slices = makeInformer<V1EndpointSlice>(o.kubeConfig, '/apis/discovery.k8s.io/v1/endpointslices', () =>
    discovery.listEndpointSliceForAllNamespaces(),
  );
  const informers = [services, slices];
  const lookup = serviceLookup(domain, {
    service: (name, ns) => services.get(name, ns),
    slices: (name, ns) => slices.list(ns).filter((s) => s.metadata?.labels?.[SERVICE_NAME] === name),
  });
  const reply = (msg: Buffer) => answer(msg, lookup, { zone: domain, ttl: TTL });

  const udp = createSocket('udp4');
  udp.on('message', (msg, from) => udp.send(reply(msg), from.port, from.address));
  const sockets = new Set<Socket>();
  const tcp = createServer((s) => {
    sockets.add(s);
    s.on('close', () => sockets.delete(s));
    s.on('error', () => s.destroy());
    readFramed(s, (msg) => {
      const out = reply(msg);
      const len = Buffer.alloc(2);
      len.writeUInt16BE(out.length);
      s.write(Buffer.concat([len, out]));
    });
  });
  let port = o.port ?? 53;
  try {
    udp.bind(port, o.host);
    await once(udp, 'listening');
    port = udp.address().port;
    tcp.listen(port, o.host);
    await once(tcp, 'listening');
  } catch (err) {
    udp.close();
    tcp.close();
    // Port 53 of this address is taken when a DNS server on the machine listens on every address.
    throw new Error(`Cannot answer DNS on ${o.host}:${port}: ${(err as Error).message}`, { cause: err });
  }
  // A client gone before its answer is not the server's failure.
  udp.on('error', () => undefined);

  let stopped = false;
  for (const informer of informers) {
    // An informer stops on an error (the API server restarting, say); the next list and watch start over.
    informer.on('error', () => {
      if (!stopped) setTimeout(() => void informer.start().catch(() => undefined), RESTART_MS).unref();
    });
  }
  const stop = async () => {
    stopped = true;
    await Promise.all(informers.map((i) => i.stop()));
    udp.close();
    for (const s of sockets) s.destroy();
    await new Promise((resolve) => tcp.close(resolve));
  };
  await Promise.all(informers.map((i) => i.start()));
  return { host: o.host, port, domain, stop };
}

/** What the lookup reads: a Service by name and namespace, and the EndpointSlices of a Service. */
export interface ServiceView {
  service(name: string, ns: string): V1Service | undefined;
  slices(service: string, ns: string): readonly V1EndpointSlice[];
}

const SERVICE_NAME = 'kubernetes.io/service-name';
const IPV4 = /^\d+\.\d+\.\d+\.\d+$/;

/** Pure: the IPv4 addresses of a Service's name or a headless Service's endpoint's, as CoreDNS gives them. */
export function serviceLookup(domain: string, view: ServiceView): Lookup {
  const suffix = `.svc.${domain}`;
  return (name) => {
    if (!name.endsWith(suffix)) return undefined;
    const parts = name.slice(0, -suffix.length).split('.');
    if (parts.length !== 2 && parts.length !== 3) return undefined;
    const [ns, svcName, hostname] = [parts.at(-1)!, parts.at(-2)!, parts.length === 3 ? parts[0] : undefined];
    const svc = view.service(svcName, ns);
    if (!svc) return undefined;
    const headless = svc.spec?.clusterIP === 'None';
    if (!headless)
      return hostname === undefined ? (svc.spec?.clusterIPs ?? []).filter((ip) => IPV4.test(ip)) : undefined;
    const endpoints = view
      .slices(svcName, ns)
      .filter((s) => s.addressType === 'IPv4')
      .flatMap((s) => s.endpoints ?? [])
      .filter((e) => e.conditions?.ready !== false || svc.spec?.publishNotReadyAddresses);
    if (hostname === undefined) return endpoints.flatMap((e) => e.addresses);
    const match = endpoints.filter((e) => e.hostname === hostname);
    return match.length > 0 ? match.flatMap((e) => e.addresses) : undefined;
  };
}

// DNS over TCP: each message is preceded by its length in two bytes (RFC 1035 §4.2.2).
function readFramed(s: Socket, onMessage: (msg: Buffer) => void): void {
  let buf = Buffer.alloc(0);
  s.on('data', (chunk: Buffer) => {
    buf = Buffer.concat([buf, chunk]);
    while (buf.length >= 2 && buf.length >= 2 + buf.readUInt16BE(0)) {
      const len = buf.readUInt16BE(0);
      onMessage(buf.subarray(2, 2 + len));
      buf = buf.subarray(2 + len);
    }
  });
}
