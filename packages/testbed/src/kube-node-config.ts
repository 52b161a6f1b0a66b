import { join } from 'node:path';

/** Where one node keeps its state, and the addresses it uses; every path is under the node's temp dir. */
export interface NodeLayout {
  dir: string;
  nodeName: string;
  /** The node's address in its network namespace; kubelet serves here and pods' traffic leaves from it. */
  nodeIp: string;
  /** The pods' subnet on the node's bridge (host-local IPAM). */
  podCidr: string;
  /** The control plane's --service-cluster-ip-range. */
  serviceCidr: string;
  bridge: string;
  pauseImage: string;
  kubeconfig: string;
  /** The nameserver kubelet writes into each pod's resolv.conf, with the search domains of `clusterDomain`. */
  clusterDns: string;
  clusterDomain: string;
}

/** Where the node's containerd listens; under its dir, so a sweep finds it from the dir alone. */
export const containerdSocket = (dir: string) => join(dir, 'containerd', 'containerd.sock');

/** Pure: containerd 1.6's config (version 2), everything under the node's dir. */
export function containerdConfig(l: NodeLayout): string {
  const cd = join(l.dir, 'containerd');
  const cri = 'plugins."io.containerd.grpc.v1.cri"';
  return `version = 2
root = "${join(cd, 'root')}"
state = "${join(cd, 'state')}"
# Snapshotters this machine cannot use only add noise to the log.
disabled_plugins = ["io.containerd.snapshotter.v1.aufs", "io.containerd.snapshotter.v1.btrfs", "io.containerd.snapshotter.v1.zfs", "io.containerd.snapshotter.v1.devmapper"]

[grpc]
  address = "${containerdSocket(l.dir)}"

[ttrpc]
  address = "${join(cd, 'containerd.ttrpc.sock')}"

[metrics]
  address = ""

[plugins."io.containerd.internal.v1.opt"]
  path = "${join(cd, 'opt')}"

[${cri}]
  sandbox_image = "${l.pauseImage}"
  # Lowering a process's oom_score_adj is not permitted in this kind of machine; keep the parent's floor.
  restrict_oom_score_adj = true
  disable_apparmor = true
  stream_server_address = "127.0.0.1"

[${cri}.containerd]
  snapshotter = "overlayfs"
  default_runtime_name = "runc"

[${cri}.containerd.runtimes.runc]
  runtime_type = "io.containerd.runc.v2"

[${cri}.containerd.runtimes.runc.options]
  BinaryName = "runc"
  SystemdCgroup = false

[${cri}.cni]
  bin_dir = "/usr/lib/cni"
  conf_dir = "${join(l.dir, 'cni')}"
  max_conf_num = 1
`;
}

/** Pure: the CNI network, a bridge with host-local addresses; pods reach the rest through the node (masqueraded). */
export function cniConfig(l: NodeLayout): string {
  return JSON.stringify(
    {
      cniVersion: '0.4.0',
      name: 'testbed',
      plugins: [
        {
          type: 'bridge',
          bridge: l.bridge,
          isGateway: true,
          ipMasq: true,
          // A pod reaching itself through its Service comes back over its own bridge port.
          hairpinMode: true,
          ipam: {
            type: 'host-local',
            ranges: [[{ subnet: l.podCidr }]],
            routes: [{ dst: '0.0.0.0/0' }],
            dataDir: join(l.dir, 'cni-ipam'),
          },
        },
        { type: 'portmap', capabilities: { portMappings: true } },
      ],
    },
    null,
    2,
  );
}

/** Pure: the kubelet configuration this machine needs (cgroup v1, swap, no OOM score lowering). */
export function kubeletConfig(l: NodeLayout): string {
  return JSON.stringify(
    {
      apiVersion: 'kubelet.config.k8s.io/v1beta1',
      kind: 'KubeletConfiguration',
      // This kind of machine mounts cgroup v1 and has no systemd: no QOS cgroups, no reservations.
      failCgroupV1: false,
      cgroupsPerQOS: false,
      cgroupDriver: 'cgroupfs',
      enforceNodeAllocatable: [],
      failSwapOn: false,
      containerRuntimeEndpoint: `unix://${containerdSocket(l.dir)}`,
      address: l.nodeIp,
      healthzBindAddress: '127.0.0.1',
      readOnlyPort: 0,
      // The API server's proxy (logs, exec) is the only client that can reach the node's network.
      authentication: { anonymous: { enabled: true }, webhook: { enabled: false } },
      authorization: { mode: 'AlwaysAllow' },
      // Pods resolve through the test bed's cluster DNS, and nothing beyond it: the node's own resolv.conf is empty.
      clusterDNS: [l.clusterDns],
      clusterDomain: l.clusterDomain,
      resolvConf: join(l.dir, 'resolv.conf'),
      // Disk and memory are shared with everything else on the machine: the test bed never evicts.
      evictionHard: { 'memory.available': '0%', 'nodefs.available': '0%', 'imagefs.available': '0%' },
      imageGCHighThresholdPercent: 100,
      imageGCLowThresholdPercent: 99,
      serializeImagePulls: false,
      podCIDR: l.podCidr,
      nodeStatusReportFrequency: '10s',
      syncFrequency: '5s',
      fileCheckFrequency: '5s',
      shutdownGracePeriod: '0s',
    },
    null,
    2,
  );
}

/** Pure: kube-proxy in iptables mode, inside the node's network namespace. */
export function kubeProxyConfig(l: NodeLayout): string {
  return JSON.stringify(
    {
      apiVersion: 'kubeproxy.config.k8s.io/v1alpha1',
      kind: 'KubeProxyConfiguration',
      mode: 'iptables',
      clientConnection: { kubeconfig: l.kubeconfig },
      hostnameOverride: l.nodeName,
      clusterCIDR: l.podCidr,
      bindAddress: l.nodeIp,
      healthzBindAddress: '127.0.0.1:10256',
      metricsBindAddress: '127.0.0.1:10249',
      // The conntrack table size is the machine's, not the namespace's: leave it alone.
      conntrack: { maxPerCore: 0, min: 0, tcpEstablishedTimeout: '0s', tcpCloseWaitTimeout: '0s' },
      iptables: { syncPeriod: '5s', minSyncPeriod: '0s' },
    },
    null,
    2,
  );
}
