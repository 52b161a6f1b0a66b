import { mkdtemp, rm } from 'node:fs/promises';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { startClickHouseServer, type ClickHouseServer } from './clickhouse-server.ts';

export interface ClickHouseClusterOptions {
  /** How many servers, one shard each (no replicas: libchdb cannot run ReplicatedMergeTree). Default 2. */
  shards?: number;
  /** The cluster's name in every server's `remote_servers`. Default `logs`. */
  name?: string;
}

/** Servers on loopback that know each other as the shards of one cluster. */
export interface ClickHouseCluster {
  name: string;
  /** Shard i + 1 is served by `servers[i]`; a restart replaces the entry. */
  readonly servers: readonly ClickHouseServer[];
  /** SIGKILL shard i + 1's server, for fault tests. */
  kill(index: number): void;
  /** Starts shard i + 1's server again on its data directory and ports. */
  restart(index: number): Promise<ClickHouseServer>;
  /** Stops every server and deletes their data. Close clients first. */
  stop(): Promise<void>;
}

/**
 * Starts `shards` real ClickHouse servers (see startClickHouseServer), each listening on HTTP and
 * native TCP, each with a `remote_servers` entry naming all of them and `{shard}`/`{replica}` macros,
 * so Distributed tables on any of them spread inserts over the shards and gather queries.
 */
export async function startClickHouseCluster(options: ClickHouseClusterOptions = {}): Promise<ClickHouseCluster> {
  const shards = options.shards ?? 2;
  const name = options.name ?? 'logs';
  if (!Number.isInteger(shards) || shards < 1) throw new Error(`Invalid shard count ${shards}`);
  if (!/^[A-Za-z_][A-Za-z0-9_]*$/.test(name)) throw new Error(`Invalid cluster name "${name}"`);
  // The cluster definition names every TCP port before any server starts, so they are chosen first;
  // the HTTP ports too, so a restarted server gets both back.
  const [tcpPorts, httpPorts] = [await freePorts(shards), await freePorts(shards)];
  const dirs = await Promise.all(tcpPorts.map(() => mkdtemp(join(tmpdir(), 'clickhouse-shard-'))));
  const remote = tcpPorts
    .map((port) => `<shard><replica><host>127.0.0.1</host><port>${port}</port></replica></shard>`)
    .join('');
  const configXml = (i: number) =>
    `<remote_servers><${name}>${remote}</${name}></remote_servers><macros><shard>${i + 1}</shard><replica>r1</replica></macros>` +
    // Errors and fatal signals to stderr, which the handle keeps: why a server of the cluster died.
    '<logger><console>1</console><level>error</level></logger>';
  const start = (i: number) =>
    startClickHouseServer({ dataDir: dirs[i]!, tcpPort: tcpPorts[i]!, port: httpPorts[i]!, configXml: configXml(i) });

  const servers: ClickHouseServer[] = [];
  const settled = await Promise.allSettled(tcpPorts.map((_, i) => start(i)));
  for (const s of settled) if (s.status === 'fulfilled') servers.push(s.value);
  const failed = settled.find((s) => s.status === 'rejected');
  if (failed) {
    await Promise.all(servers.map((s) => s.stop()));
    await Promise.all(dirs.map((d) => rm(d, { recursive: true, force: true })));
    throw (failed as PromiseRejectedResult).reason;
  }
  return {
    name,
    servers,
    kill: (i) => servers[i]!.kill(),
    async restart(i) {
      const old = servers[i]!;
      await old.stop(); // waits for the exit; the directory is ours, so it stays
      servers[i] = await start(i);
      return servers[i]!;
    },
    async stop() {
      await Promise.all(servers.map((s) => s.stop()));
      await Promise.all(dirs.map((d) => rm(d, { recursive: true, force: true })));
    },
  };
}

// Below Linux's ephemeral range (32768+): a port the kernel hands out as the local end of some
// outgoing connection while a server is down would keep that server from starting again there.
const PORT_RANGE = { from: 20_000, to: 32_000 };

// Free ports at random from PORT_RANGE, held open together so they differ and closed just before
// the servers bind them.
async function freePorts(count: number): Promise<number[]> {
  const held: ReturnType<typeof createServer>[] = [];
  const tryListen = (port: number) =>
    new Promise<ReturnType<typeof createServer> | undefined>((resolve) => {
      const server = createServer();
      server.once('error', () => resolve(undefined));
      server.listen(port, '127.0.0.1', () => resolve(server));
    });
  for (let attempts = 0; held.length < count; attempts++) {
    if (attempts > 1000) throw new Error(`No ${count} free ports in ${PORT_RANGE.from}-${PORT_RANGE.to}`);
    const port = PORT_RANGE.from + Math.floor(Math.random() * (PORT_RANGE.to - PORT_RANGE.from));
    const server = await tryListen(port);
    if (server) held.push(server);
  }
  const ports = held.map((s) => (s.address() as { port: number }).port);
  await Promise.all(held.map((s) => new Promise((resolve) => s.close(resolve))));
  return ports;
}
