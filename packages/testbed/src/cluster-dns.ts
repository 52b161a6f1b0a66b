import { createSocket } from 'node:dgram';
import { once } from 'node:events';
import { createServer, type Socket } from 'node:net';
import { CoreV1Api, makeInformer, type KubeConfig, type V1Service } from '@kubernetes/client-node';
import { answer, type Lookup } from './dns-message.ts';

export interface ClusterDnsOptions {
  /** Credentials that may list and watch Services in every namespace. */
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
 * A cluster DNS for the test bed, where no package provides CoreDNS: it watches Services through the API
 * server and answers A queries for `<service>.<namespace>.svc.<domain>` with the ClusterIP (the short forms
 * come from the search domains kubelet writes into each pod's resolv.conf). Every other name is NXDOMAIN:
 * pods here reach nothing outside the cluster. Headless and ExternalName Services exist but get no records.
 */
export async function startClusterDns(o: ClusterDnsOptions): Promise<ClusterDns> {
  const domain = o.domain ?? 'cluster.local';
  const core = o.kubeConfig.makeApiClient(CoreV1Api);
  const services = makeInformer<V1Service>(o.kubeConfig, '/api/v1/services', () => core.listServiceForAllNamespaces());
  let stopped = false;
  // The informer stops on an error (the API server restarting, say); the next list and watch start over.
  services.on('error', () => {
    if (!stopped) setTimeout(() => void services.start().catch(() => undefined), RESTART_MS).unref();
  });
  await services.start();
  const lookup = serviceLookup(domain, (name, ns) => services.get(name, ns));
  const reply = (msg: Buffer) => answer(msg, lookup, { zone: domain, ttl: TTL });

  const udp = createSocket('udp4');
  udp.on('message', (msg, from) => udp.send(reply(msg), from.port, from.address));
  // A client gone before its answer is not the server's failure.
  udp.on('error', () => undefined);
  udp.bind(o.port ?? 53, o.host);
  await once(udp, 'listening');
  const port = udp.address().port;
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
  tcp.listen(port, o.host);
  await once(tcp, 'listening');
  return {
    host: o.host,
    port,
    domain,
    stop: async () => {
      stopped = true;
      await services.stop();
      udp.close();
      for (const s of sockets) s.destroy();
      await new Promise((resolve) => tcp.close(resolve));
    },
  };
}

/** Pure: the addresses of `<service>.<namespace>.svc.<domain>`, from `get` (a Service by name and namespace). */
export function serviceLookup(domain: string, get: (name: string, ns: string) => V1Service | undefined): Lookup {
  const suffix = `.svc.${domain}`;
  return (name) => {
    if (!name.endsWith(suffix)) return undefined;
    const parts = name.slice(0, -suffix.length).split('.');
    if (parts.length !== 2) return undefined;
    const svc = get(parts[0]!, parts[1]!);
    if (!svc) return undefined;
    const ips = svc.spec?.clusterIPs ?? (svc.spec?.clusterIP ? [svc.spec.clusterIP] : []);
    return ips.filter((ip) => /^\d+\.\d+\.\d+\.\d+$/.test(ip));
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
