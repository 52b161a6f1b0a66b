import { randomInt } from 'node:crypto';
import { run } from './kube-control-plane.ts';

/** A network namespace for one node, joined to the host by a veth pair on a /30 of its own. */
export interface NodeNetwork {
  /** `ip netns` name; its iptables, bridge and routes vanish with it. */
  name: string;
  /** `/run/netns/<name>`, for nsenter. */
  path: string;
  /** The host's end: the API server listens here, so kubelet and pods reach it. */
  hostIp: string;
  /** The node's end (eth0 in the namespace). */
  nodeIp: string;
  /** The pods' /24, routed from the host through the node, so the API server reaches pods as on any cluster. */
  podCidr: string;
  /** The Services' /24, routed the same way: the host reaches a ClusterIP through the node's kube-proxy. */
  serviceCidr: string;
  remove(): Promise<void>;
}

export const NETNS_PREFIX = 'idl-node-';
// A /16 of private addresses hosts rarely route; each node takes a random /30 of it and retries on a clash.
const RANGE = [172, 30];

/**
 * Creates the namespace, the veth pair, the node's default route back through the host and the host's
 * route to the pods (it goes with the veth). The host forwards nothing (its ip_forward stays as it is):
 * pods can talk to each other, the node and the host, and to nothing beyond.
 */
export async function createNodeNetwork(id: string): Promise<NodeNetwork> {
  const name = `${NETNS_PREFIX}${id}`;
  const hostVeth = `idl${id}`;
  await ip('netns', 'add', name);
  const remove = async () => {
    // Deleting the namespace deletes its end of the veth, and with it the host's end.
    await ip('netns', 'delete', name).catch(() => undefined);
    await ip('link', 'delete', hostVeth).catch(() => undefined);
  };
  try {
    const { hostIp, nodeIp } = await claimSubnet(hostVeth, name);
    const inNs = (...args: string[]) => ip('-n', name, ...args);
    await inNs('link', 'set', 'lo', 'up');
    await inNs('link', 'set', 'eth0', 'up');
    await inNs('addr', 'add', `${nodeIp}/30`, 'dev', 'eth0');
    await inNs('route', 'add', 'default', 'via', hostIp);
    // Per-namespace settings: the node routes between its bridge and eth0 like any Kubernetes node.
    await run('nsenter', [`--net=/run/netns/${name}`, '--', 'sysctl', '-qw', 'net.ipv4.ip_forward=1']);
    await run('nsenter', [`--net=/run/netns/${name}`, '--', 'sysctl', '-qw', 'net.bridge.bridge-nf-call-iptables=1']);
    const podCidr = await claimRoute('10.244', hostVeth, nodeIp);
    const serviceCidr = await claimRoute('10.96', hostVeth, nodeIp);
    return { name, path: `/run/netns/${name}`, hostIp, nodeIp, podCidr, serviceCidr, remove };
  } catch (err) {
    await remove();
    throw err;
  }
}

async function claimSubnet(hostVeth: string, ns: string): Promise<{ hostIp: string; nodeIp: string }> {
  for (let attempt = 0; ; attempt++) {
    const base = randomInt(0, 16_384) * 4;
    const prefix = `${RANGE[0]}.${RANGE[1]}.${base >> 8}.`;
    const hostIp = `${prefix}${(base & 255) + 1}`;
    const nodeIp = `${prefix}${(base & 255) + 2}`;
    const routes = (await ip('-4', 'route', 'show', 'match', hostIp))
      .split('\n')
      .filter((r) => r.trim() !== '' && !r.startsWith('default'))
      .join('; ');
    if (routes !== '') {
      if (attempt < 20) continue;
      throw new Error(`Cannot find a free /30 in ${RANGE.join('.')}.0.0/16 for the node: ${routes}`);
    }
    await ip('link', 'add', hostVeth, 'type', 'veth', 'peer', 'name', 'eth0', 'netns', ns);
    await ip('addr', 'add', `${hostIp}/30`, 'dev', hostVeth);
    await ip('link', 'set', hostVeth, 'up');
    return { hostIp, nodeIp };
  }
}

// A random /24 of <prefix>.0.0/16 routed to the node; a taken one fails `ip route add`, and another is tried.
async function claimRoute(prefix: string, hostVeth: string, nodeIp: string): Promise<string> {
  for (let attempt = 0; ; attempt++) {
    const cidr = `${prefix}.${randomInt(0, 256)}.0/24`;
    try {
      await ip('route', 'add', cidr, 'via', nodeIp, 'dev', hostVeth);
      return cidr;
    } catch (err) {
      if (attempt === 20) throw err;
    }
  }
}

/** Names of node namespaces present on this machine. */
export async function listNodeNamespaces(): Promise<string[]> {
  const out = await ip('netns', 'list').catch(() => '');
  return out
    .split('\n')
    .map((line) => line.split(' ')[0] ?? '')
    .filter((n) => n.startsWith(NETNS_PREFIX));
}

function ip(...args: string[]): Promise<string> {
  return run('ip', args);
}
