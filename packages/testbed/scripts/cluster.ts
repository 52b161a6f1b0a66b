/**
 * A one-node cluster for trying things by hand (make cluster-up / cluster-down): starts it, writes the
 * admin kubeconfig to $CACHE_DIR/cluster/kubeconfig and runs until SIGTERM or SIGINT, then removes it all.
 */
import { mkdir, rm, writeFile } from 'node:fs/promises';
import { homedir } from 'node:os';
import { join } from 'node:path';
import { startKubeNode } from '../src/kube-node.ts';

const dir = join(process.env.CACHE_DIR ?? join(homedir(), '.cache', 'instant-dev-logs'), 'cluster');
await mkdir(dir, { recursive: true });
const node = await startKubeNode();
const kubeconfig = join(dir, 'kubeconfig');
await writeFile(kubeconfig, node.controlPlane.kubeConfig.exportConfig(), { mode: 0o600 });
await writeFile(join(dir, 'pid'), String(process.pid));
console.log(`Cluster up: node ${node.nodeName} (${node.network.nodeIp}), API ${node.controlPlane.server}`);
console.log(`export KUBECONFIG=${kubeconfig}`);
let stopping = false;
const stop = async () => {
  if (stopping) return;
  stopping = true;
  await node.stop();
  await rm(dir, { recursive: true, force: true });
  console.log('Cluster down');
  process.exit(0);
};
process.on('SIGTERM', stop);
process.on('SIGINT', stop);
setInterval(() => undefined, 1 << 30);
