/**
 * The e2e test's cluster, for trying things by hand (make cluster-up / make cluster-down):
 *   cluster.ts up     starts `serve` in the background and returns once the cluster is ready
 *   cluster.ts down   stops it (SIGTERM), which removes everything it made
 *   cluster.ts serve  the cluster itself, in the foreground until SIGTERM or SIGINT
 * Besides the one-node cluster: the project's images built and imported, and the Kafka and ClickHouse
 * stand-ins on the node's host address. $CACHE_DIR/cluster/env names them; pipeline.yaml uses them.
 */
import { spawn } from 'node:child_process';
import { existsSync, openSync } from 'node:fs';
import { mkdir, readFile, rm, writeFile } from 'node:fs/promises';
import { homedir } from 'node:os';
import { join } from 'node:path';
import { dockerfileImages, startClickHouseServer, startKafkaBroker, startKubeNode, waitUntil } from '../src/index.ts';

const DIR = join(process.env.CACHE_DIR ?? join(homedir(), '.cache', 'instant-dev-logs'), 'cluster');
const PID = join(DIR, 'pid');
const READY = join(DIR, 'env');
const LOG = join(DIR, 'cluster.log');
const CH_USER = { name: 'logs', password: 'cluster-password' };

const command = process.argv[2];
if (command === 'up') await up();
else if (command === 'down') await down();
else if (command === 'serve') await serve();
else {
  console.error('usage: cluster.ts up|down|serve');
  process.exit(2);
}

async function up(): Promise<void> {
  if (await running()) {
    console.log(await readFile(READY, 'utf8').catch(() => 'The cluster is starting: see ' + LOG));
    return;
  }
  await mkdir(DIR, { recursive: true });
  await rm(READY, { force: true });
  const out = openSync(LOG, 'w');
  const child = spawn(process.execPath, [import.meta.filename, 'serve'], {
    detached: true,
    stdio: ['ignore', out, out],
  });
  child.unref();
  console.log(`Starting the cluster (pid ${child.pid}; first run builds images: minutes); log: ${LOG}`);
  // A first run builds the kube binaries, buildah and the images before anything is up.
  await waitUntil(
    'the cluster to be ready',
    async () => {
      if (existsSync(READY)) return true;
      if (!isAlive(child.pid!)) throw new Error(`The cluster did not start:\n${await readFile(LOG, 'utf8')}`);
      return false;
    },
    90 * 60_000,
    500,
  );
  console.log(await readFile(READY, 'utf8'));
}

async function down(): Promise<void> {
  const pid = Number(await readFile(PID, 'utf8').catch(() => '0'));
  if (!pid || !isAlive(pid)) {
    console.log('No cluster is running');
    return;
  }
  process.kill(pid, 'SIGTERM');
  await waitUntil('the cluster to stop', () => !isAlive(pid), 120_000, 200);
  console.log('Cluster down');
}

async function serve(): Promise<void> {
  await mkdir(DIR, { recursive: true });
  await writeFile(PID, String(process.pid));
  const images = await dockerfileImages(undefined, (l) => console.log(`image ${l}`));
  const node = await startKubeNode();
  const stops: (() => Promise<void>)[] = [() => node.stop()];
  let stopping = false;
  const stop = async () => {
    if (stopping) return;
    stopping = true;
    for (const s of stops.reverse()) await s().catch((err: Error) => console.error(err.message));
    await rm(DIR, { recursive: true, force: true });
    console.log('Cluster down');
    process.exit(0);
  };
  process.on('SIGTERM', stop);
  process.on('SIGINT', stop);
  await node.importImages(...Object.values(images));
  const clickhouse = await startClickHouseServer({ host: node.network.hostIp, users: [CH_USER] });
  stops.push(() => clickhouse.stop());
  const kafka = await startKafkaBroker({ host: node.network.hostIp });
  stops.push(() => kafka.stop());
  const kubeconfig = join(DIR, 'kubeconfig');
  await writeFile(kubeconfig, node.controlPlane.kubeConfig.exportConfig(), { mode: 0o600 });
  await writeFile(join(DIR, 'pipeline.yaml'), pipelineYaml(images, kafka.bootstrap, clickhouse.url));
  const env = [
    `# Node ${node.nodeName} (${node.network.nodeIp}), pods ${node.podCidr}; API ${node.controlPlane.server}`,
    `export KUBECONFIG=${kubeconfig}`,
    `export PATH=${node.controlPlane.binDir}:$PATH  # kubectl and helm`,
    `export OPERATOR_IMAGE=${images.operator.name}`,
    `export KAFKA_BOOTSTRAP=${kafka.bootstrap}`,
    `export CLICKHOUSE_URL=${clickhouse.url}  # user ${CH_USER.name}, password ${CH_USER.password}`,
    `# A LogPipeline on these: kubectl apply -f ${join(DIR, 'pipeline.yaml')}`,
  ].join('\n');
  await writeFile(READY, `${env}\n`);
  console.log(env);
  setInterval(() => undefined, 1 << 30);
}

function pipelineYaml(images: Awaited<ReturnType<typeof dockerfileImages>>, kafka: string, clickhouse: string): string {
  return `# Test-bed stand-ins: Kafka and ClickHouse run on the host, given to the pipeline as external services.
apiVersion: v1
kind: Namespace
metadata: {name: logs}
---
apiVersion: v1
kind: Secret
metadata: {name: clickhouse, namespace: logs}
stringData: {username: ${CH_USER.name}, password: ${CH_USER.password}}
---
apiVersion: logging.instantdev.io/v1alpha1
kind: LogPipeline
metadata: {name: demo, namespace: logs}
spec:
  kafka: {bootstrapServers: "${kafka}", topic: {partitions: 2, replicas: 1}}
  clickhouse: {external: {url: "${clickhouse}", credentialsSecretRef: {name: clickhouse}}}
  collector: {replicas: 1}
  processor: {minReplicas: 1, maxReplicas: 2}
  query: {replicas: 1}
  dashboard: {replicas: 1}
  images:
    collector: ${images.collector.name}
    processor: ${images.processor.name}
    query: ${images.query.name}
    dashboard: ${images.dashboard.name}
    pullPolicy: Never
`;
}

async function running(): Promise<boolean> {
  const pid = Number(await readFile(PID, 'utf8').catch(() => '0'));
  return pid > 0 && isAlive(pid);
}

function isAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
}
