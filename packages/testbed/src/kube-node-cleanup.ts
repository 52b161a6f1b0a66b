import { readdir, readFile, rm, rmdir } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { isAlive, run, terminate, type Proc } from './kube-control-plane.ts';
import { containerdSocket } from './kube-node-config.ts';
import { listNodeNamespaces, NETNS_PREFIX } from './kube-node-network.ts';
import { waitUntil } from './wait.ts';

/** Temp dirs of nodes are named kube-node-<id>-…, <id> also naming the network namespace. */
export const DIR_PREFIX = 'kube-node-';
const CGROUP_ROOT = '/sys/fs/cgroup';

// Containers outlive containerd (their shims are detached): kill and delete every task while containerd
// still answers, then stop it; the mount namespace, with the pods' namespaces, goes with its last process.
export async function stopNode(procs: Proc[], dir: string): Promise<void> {
  const byName = (n: string) => procs.filter((p) => p.name === n);
  for (const n of ['kube-scheduler', 'kube-proxy', 'kubelet']) for (const p of byName(n)) await terminate(p);
  const containerd = byName('containerd').find((p) => !p.hasExited());
  if (containerd) {
    const sock = containerdSocket(dir);
    const ctr = (...args: string[]) => run('ctr', ['--address', sock, '-n', 'k8s.io', ...args]);
    const tasks = (await ctr('tasks', 'ls', '-q').catch(() => '')).split('\n').filter(Boolean);
    for (const t of tasks) await ctr('tasks', 'kill', '-s', 'SIGKILL', t).catch(() => undefined);
    for (const t of tasks) await ctr('tasks', 'delete', '-f', t).catch(() => undefined);
    const containers = (await ctr('containers', 'ls', '-q').catch(() => '')).split('\n').filter(Boolean);
    for (const c of containers) await ctr('containers', 'delete', c).catch(() => undefined);
    await terminate(containerd);
  }
  // containerd's CRI puts containers under /k8s.io in every cgroup v1 hierarchy and leaves the parent behind;
  // rmdir only removes it when empty, so another node's containers are never touched.
  for (const controller of await readdir(CGROUP_ROOT).catch(() => [])) {
    await rmdir(join(CGROUP_ROOT, controller, 'k8s.io')).catch(() => undefined);
  }
}

// A test process killed outright (its processes die with it, by setpriv) leaves containers, a namespace
// and a temp dir (named kube-node-<id>-…) behind: the next start removes those whose owner is gone.
export async function sweepAbandoned(): Promise<void> {
  const live = new Set<string>();
  for (const name of await readdir(tmpdir())) {
    if (!name.startsWith(DIR_PREFIX)) continue;
    const dir = join(tmpdir(), name);
    const id = name.slice(DIR_PREFIX.length).split('-')[0] ?? '';
    const owner = Number(await readFile(join(dir, 'owner.pid'), 'utf8').catch(() => '0'));
    if (owner > 0 && isAlive(owner)) {
      live.add(id);
      continue;
    }
    await killNamespaceProcesses(`${NETNS_PREFIX}${id}`);
    await killContainers(dir);
    await rm(dir, { recursive: true, force: true }).catch(() => undefined);
  }
  for (const ns of await listNodeNamespaces()) {
    const id = ns.slice(NETNS_PREFIX.length);
    if (live.has(id)) continue;
    await killNamespaceProcesses(ns);
    await run('ip', ['netns', 'delete', ns]).catch(() => undefined);
    await run('ip', ['link', 'delete', `idl${id}`]).catch(() => undefined);
  }
}

// The shims live in the node's network namespace; the containers, in pods' namespaces, are found below.
async function killNamespaceProcesses(ns: string): Promise<void> {
  const pids = (await run('ip', ['netns', 'pids', ns]).catch(() => '')).split('\n').filter(Boolean);
  for (const pid of pids) {
    try {
      process.kill(Number(pid), 'SIGKILL');
    } catch {
      // already gone
    }
  }
}

// Containers outlive a killed containerd and its shims. Their ids are the task bundles in the node's state
// dir; runc put each in the cgroup /k8s.io/<id> of every hierarchy: kill what is there, then remove it.
async function killContainers(dir: string): Promise<void> {
  const bundles = join(dir, 'containerd', 'state', 'io.containerd.runtime.v2.task', 'k8s.io');
  const ids = await readdir(bundles).catch(() => []);
  const controllers = await readdir(CGROUP_ROOT).catch(() => []);
  for (const id of ids) {
    const procs = await readFile(join(CGROUP_ROOT, 'pids', 'k8s.io', id, 'cgroup.procs'), 'utf8').catch(() => '');
    for (const pid of procs.split('\n').filter(Boolean)) {
      try {
        process.kill(Number(pid), 'SIGKILL');
      } catch {
        // already gone
      }
    }
  }
  for (const id of ids) {
    for (const c of controllers) {
      const cgroup = join(CGROUP_ROOT, c, 'k8s.io', id);
      // A killed process leaves its cgroup a moment later.
      await waitUntil(
        `cgroup ${cgroup} to empty`,
        () =>
          rmdir(cgroup).then(
            () => true,
            (e: NodeJS.ErrnoException) => e.code === 'ENOENT' || e.code === 'ENOTDIR',
          ),
        10_000,
        50,
      ).catch(() => undefined);
    }
  }
  for (const c of controllers) await rmdir(join(CGROUP_ROOT, c, 'k8s.io')).catch(() => undefined);
}
