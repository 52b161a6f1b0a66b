import { randomBytes } from 'node:crypto';
import { existsSync } from 'node:fs';
import { mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { CoreV1Api } from '@kubernetes/client-node';
import {
  freePort,
  launch,
  run,
  startControlPlane,
  waitFor,
  type ControlPlane,
  type Proc,
} from './kube-control-plane.ts';
import {
  cniConfig,
  containerdConfig,
  containerdSocket,
  kubeletConfig,
  kubeProxyConfig,
  type NodeLayout,
} from './kube-node-config.ts';
import { startClusterDns, type ClusterDns } from './cluster-dns.ts';
import { DIR_PREFIX, stopNode, sweepAbandoned } from './kube-node-cleanup.ts';
import { createNodeNetwork, type NodeNetwork } from './kube-node-network.ts';
import {
  busyboxImage,
  missingForBuildah,
  missingPrograms,
  pauseImage,
  PAUSE_IMAGE,
  type ImageArchive,
} from './oci-images.ts';
import { waitUntil } from './wait.ts';

export interface KubeNodeOptions {
  /** How long the whole cluster may take to have a Ready node (default 180 s); a first build is not counted. */
  startTimeoutMs?: number;
}

export interface KubeNode {
  /** The control plane (its API server listens on `hostIp`, reachable from the node and its pods). */
  controlPlane: ControlPlane;
  nodeName: string;
  network: NodeNetwork;
  /** The pods' and the Services' address ranges. */
  podCidr: string;
  serviceCidr: string;
  /** The cluster DNS (cluster-dns.ts) on the host's end of the veth, port 53: every pod's nameserver. */
  dns: ClusterDns;
  /** Imports image archives into the node's containerd, under the names the CRI resolves. */
  importImages(...images: ImageArchive[]): Promise<void>;
  /** `ctr` on the node's containerd (namespace k8s.io), for what the API does not show. */
  ctr(...args: string[]): Promise<string>;
  /** Stops every process, every container, and deletes the namespace, its network and the temp dir. */
  stop(): Promise<void>;
}

const PROGRAMS = ['containerd', 'ctr', 'runc', 'iptables', 'ip', 'nsenter', 'unshare'];
const CNI_PLUGINS = ['bridge', 'host-local', 'portmap', 'loopback'];

/** Why this machine cannot run a node (not root, a Debian package missing), or undefined when it can. */
export function kubeNodeUnavailable(): string | undefined {
  if (process.platform !== 'linux') return 'a kubelet node needs Linux';
  if (process.getuid?.() !== 0) return 'a kubelet node needs root (network namespaces, mounts, runc)';
  const missing = [...missingPrograms(PROGRAMS), ...missingForBuildah()];
  missing.push(...CNI_PLUGINS.filter((p) => !existsSync(join('/usr/lib/cni', p))).map((p) => `CNI ${p}`));
  if (!existsSync('/bin/busybox')) missing.push('busybox (busybox-static)');
  if (!existsSync('/usr/lib/x86_64-linux-gnu/libc.a') && !existsSync('/usr/lib/aarch64-linux-gnu/libc.a'))
    missing.push('libc.a (libc6-dev)');
  if (missing.length === 0) return undefined;
  return (
    `missing ${missing.join(', ')}: apt-get install containerd runc containernetworking-plugins iptables ` +
    'buildah netavark busybox-static gcc libc6-dev, and Go (make system-deps, as root, installs the packages)'
  );
}

/**
 * Starts a one-node cluster: a control plane on a veth address of its own, and in a fresh network
 * namespace and a private mount namespace containerd (state in a temp dir), a kubelet on it, the CNI
 * bridge, kube-proxy (iptables) and kube-scheduler; the cluster DNS on the host's end of the veth. Resolves
 * when the node is Ready.
 */
export async function startKubeNode(options: KubeNodeOptions = {}): Promise<KubeNode> {
  const unavailable = kubeNodeUnavailable();
  if (unavailable) throw new Error(`Cannot start a kubelet node: ${unavailable}`);
  const deadline = Date.now() + (options.startTimeoutMs ?? 180_000);
  await sweepAbandoned();
  const images = await Promise.all([pauseImage(), busyboxImage()]);
  const id = randomBytes(3).toString('hex');
  const dir = await mkdtemp(join(tmpdir(), `${DIR_PREFIX}${id}-`));
  await writeFile(join(dir, 'owner.pid'), String(process.pid));
  const procs: Proc[] = [];
  let network: NodeNetwork | undefined;
  let controlPlane: ControlPlane | undefined;
  let dns: ClusterDns | undefined;
  const stopAll = async () => {
    await stopNode(procs, dir);
    await dns?.stop();
    await controlPlane?.stop();
    await network?.remove();
    await rm(dir, { recursive: true, force: true });
  };
  try {
    network = await createNodeNetwork(id);
    controlPlane = await startControlPlane({
      address: network.hostIp,
      workloads: true,
      serviceCidr: network.serviceCidr,
    });
    dns = await startClusterDns({ kubeConfig: controlPlane.kubeConfig, host: network.hostIp });
    const layout: NodeLayout = {
      dir,
      nodeName: `testbed-${id}`,
      nodeIp: network.nodeIp,
      podCidr: network.podCidr,
      serviceCidr: network.serviceCidr,
      bridge: 'cni0',
      pauseImage: PAUSE_IMAGE,
      kubeconfig: controlPlane.kubeconfigPath,
      clusterDns: dns.host,
      clusterDomain: dns.domain,
    };
    await writeConfigs(layout);
    const ctr = (...args: string[]) => run('ctr', ['--address', containerdSocket(layout.dir), '-n', 'k8s.io', ...args]);
    const containerd = await startContainerd(layout, network, procs, deadline, ctr);
    const importImages = async (...archives: ImageArchive[]) => {
      for (const a of archives) await ctr('images', 'import', '--no-unpack=false', a.path);
    };
    await importImages(...images);
    const inNode = (name: string, bin: string, args: string[]) =>
      launch(procs, name, 'nsenter', [`--target=${containerd.child.pid}`, '--mount', '--net', '--', bin, ...args]);
    const binDir = controlPlane.binDir;
    await controlPlane.startControllerManager();
    inNode('kubelet', join(binDir, 'kubelet'), [
      `--config=${join(dir, 'kubelet.json')}`,
      `--kubeconfig=${layout.kubeconfig}`,
      `--root-dir=${join(dir, 'kubelet')}`,
      `--cert-dir=${join(dir, 'kubelet-pki')}`,
      `--hostname-override=${layout.nodeName}`,
      `--node-ip=${layout.nodeIp}`,
    ]);
    inNode('kube-proxy', join(binDir, 'kube-proxy'), [`--config=${join(dir, 'kube-proxy.json')}`]);
    launch(procs, 'kube-scheduler', join(binDir, 'kube-scheduler'), [
      `--kubeconfig=${layout.kubeconfig}`,
      '--leader-elect=false',
      '--bind-address=127.0.0.1',
      `--secure-port=${await freePort()}`,
    ]);
    await waitForNodeReady(controlPlane, layout.nodeName, procs, deadline);
    return {
      controlPlane,
      nodeName: layout.nodeName,
      network,
      podCidr: layout.podCidr,
      serviceCidr: layout.serviceCidr,
      dns,
      importImages,
      ctr,
      stop: stopAll,
    };
  } catch (err) {
    const logs = procs.map((p) => `--- ${p.name}\n${p.log().slice(-3_000)}`).join('\n');
    await stopAll();
    throw new Error(`${(err as Error).message}\n${logs}`, { cause: err });
  }
}

async function writeConfigs(l: NodeLayout): Promise<void> {
  await mkdir(join(l.dir, 'cni'), { recursive: true });
  await mkdir(join(l.dir, 'containerd'), { recursive: true });
  await Promise.all([
    writeFile(join(l.dir, 'containerd', 'config.toml'), containerdConfig(l)),
    writeFile(join(l.dir, 'cni', '10-testbed.conflist'), cniConfig(l)),
    writeFile(join(l.dir, 'kubelet.json'), kubeletConfig(l)),
    writeFile(join(l.dir, 'kube-proxy.json'), kubeProxyConfig(l)),
    writeFile(join(l.dir, 'resolv.conf'), ''),
  ]);
}

// containerd runs in the node's network namespace and in a private mount namespace, where tmpfs covers
// the machine-wide paths containerd 1.6 and the CNI plugins hard-code (/run/netns for pod namespaces,
// /run/containerd for shim sockets, /var/lib/cni): every mount, pod namespace and IPAM lease of the node
// lives and dies with that mount namespace. kubelet and kube-proxy join both namespaces.
async function startContainerd(
  l: NodeLayout,
  net: NodeNetwork,
  procs: Proc[],
  deadline: number,
  ctr: (...args: string[]) => Promise<string>,
): Promise<Proc> {
  for (const d of ['/run/netns', '/run/containerd', '/var/lib/cni']) await mkdir(d, { recursive: true });
  const script =
    'mount -t tmpfs tmpfs /run/netns && mount -t tmpfs tmpfs /run/containerd && ' +
    'mount -t tmpfs tmpfs /var/lib/cni && exec containerd --config "$1"';
  const proc = launch(procs, 'containerd', 'unshare', [
    '--mount',
    '--propagation',
    'private',
    '--',
    'nsenter',
    `--net=${net.path}`,
    '--',
    'sh',
    '-c',
    script,
    'containerd',
    join(l.dir, 'containerd', 'config.toml'),
  ]);
  await waitFor('its socket', proc, deadline, async () => (await ctr('version')).includes('Server'));
  return proc;
}

async function waitForNodeReady(cp: ControlPlane, nodeName: string, procs: Proc[], deadline: number): Promise<void> {
  const core = cp.kubeConfig.makeApiClient(CoreV1Api);
  await waitUntil(
    `node ${nodeName} to be Ready`,
    async () => {
      const dead = procs.find((p) => p.hasExited());
      if (dead) throw new Error(`${dead.name} exited: ${dead.log().slice(-4_000)}`);
      const node = await core.readNode({ name: nodeName }).catch(() => undefined);
      return node?.status?.conditions?.some((c) => c.type === 'Ready' && c.status === 'True');
    },
    Math.max(1_000, deadline - Date.now()),
    250,
  );
}
