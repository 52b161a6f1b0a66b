import { execFile, spawn, type ChildProcess } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { existsSync } from 'node:fs';
import { mkdir, mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { createServer, type AddressInfo, type Server } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { Kafka, logLevel, type Admin } from 'kafkajs';

export interface KafkaBrokerOptions {
  /** Holds server.properties, the log segments (`data/`) and `broker.log`. Omitted → a temp dir that `stop()` deletes. */
  dataDir?: string;
  /** Client port; omitted or 0 picks a free one. The controller port is always picked. */
  port?: number;
  /** Address of the client listener, bound and advertised (default 127.0.0.1); the controller stays on loopback. */
  host?: string;
  /** How long one start may take once the jars are installed. */
  startTimeoutMs?: number;
}

export interface KafkaTopicOptions {
  partitions: number;
  /** Topic configs, e.g. `{ 'retention.ms': '60000' }`. */
  config?: Record<string, string>;
}

export interface KafkaBroker {
  /** `127.0.0.1:<port>` */
  bootstrap: string;
  port: number;
  dataDir: string;
  /** SIGTERM (a clean shutdown) and waits for the exit; final: deletes a temp data dir. */
  stop(): Promise<void>;
  /** SIGKILL, for fault tests; waits for the exit. `restart()` brings the broker back. */
  kill(): Promise<void>;
  /** Stops the broker if it runs (SIGTERM) and starts it again on the same ports and data dir. */
  restart(): Promise<void>;
  /** Creates a topic with replication factor 1 and waits for its partition leaders; rejects if it exists. */
  createTopic(name: string, options: KafkaTopicOptions): Promise<void>;
}

const JARS_SCRIPT = fileURLToPath(new URL('../scripts/kafka-jars.sh', import.meta.url));
const LOG4J_CONFIG = fileURLToPath(new URL('../kafka/log4j2.xml', import.meta.url));
// Logged by kafka.server.KafkaRaftServer once the broker is registered and unfenced; log4j2.xml
// sends that logger (and errors) to stdout and everything else to broker.log.
const READY_LINE = 'Kafka Server started';
const STOP_GRACE_MS = 30_000;
const run = promisify(execFile);

interface Config {
  dataDir: string;
  host: string;
  port: number;
  controllerPort: number;
  libs: string;
}

/**
 * Starts a real single-node Kafka 4 broker (KRaft, broker+controller in one JVM) on free loopback
 * ports, installing its jars on first use; resolves once a kafkajs admin sees the cluster.
 * The JVM is killed when this process dies, however it dies.
 */
export async function startKafkaBroker(options: KafkaBrokerOptions = {}): Promise<KafkaBroker> {
  const timeoutMs = options.startTimeoutMs ?? 90_000;
  const libs = await installJars();
  const ownsDir = options.dataDir === undefined;
  const dataDir = options.dataDir ?? (await mkdtemp(join(tmpdir(), 'kafka-testbed-')));
  await mkdir(dataDir, { recursive: true });
  const host = options.host ?? '127.0.0.1';
  const started = await firstStart(libs, dataDir, host, options.port ?? 0, timeoutMs).catch(async (err: unknown) => {
    if (ownsDir) await rm(dataDir, { recursive: true, force: true });
    throw err;
  });
  const { config, port } = started;
  let proc = started.proc;
  let stopped = false;
  const bootstrap = `${host}:${port}`;
  return {
    bootstrap,
    port,
    dataDir,
    async stop() {
      stopped = true;
      await terminate(proc, 'SIGTERM');
      if (ownsDir) await rm(dataDir, { recursive: true, force: true });
    },
    async kill() {
      await terminate(proc, 'SIGKILL');
    },
    async restart() {
      if (stopped) throw new Error('Kafka broker was stopped: restart() works only after kill() or while it runs');
      await terminate(proc, 'SIGTERM');
      proc = await launch(config, timeoutMs);
    },
    async createTopic(name, { partitions, config: topicConfig = {} }) {
      await withAdmin(bootstrap, async (admin) => {
        const configEntries = Object.entries(topicConfig).map(([name, value]) => ({ name, value }));
        const created = await admin.createTopics({
          waitForLeaders: false,
          topics: [{ topic: name, numPartitions: partitions, replicationFactor: 1, configEntries }],
        });
        if (!created) throw new Error(`Kafka topic "${name}" already exists`);
        await waitForLeaders(admin, name, partitions);
      });
    },
  };
}

// Picked ports are released before the JVM binds them, so another process can take one in
// between: then pick again (a fixed port is the caller's to keep free).
async function firstStart(libs: string, dataDir: string, host: string, fixedPort: number, timeoutMs: number) {
  for (let attempt = 1; ; attempt++) {
    const [port, controllerPort] = await freePorts(host, fixedPort);
    const config: Config = { dataDir, host, port, controllerPort, libs };
    await writeFile(join(dataDir, 'server.properties'), serverProperties(config));
    await format(config);
    try {
      return { config, port, proc: await launch(config, timeoutMs) };
    } catch (err) {
      if (fixedPort || attempt === 3 || !(err as Error).message.includes('Address already in use')) throw err;
    }
  }
}

// The script caches the jars under ~/.cache; once installed it returns in milliseconds.
async function installJars(): Promise<string> {
  const { stdout } = await run('bash', [JARS_SCRIPT], { timeout: 15 * 60_000 }).catch(
    (err: Error & { stderr?: string }) => {
      throw new Error(`Cannot install the Kafka jars with ${JARS_SCRIPT}: ${err.stderr?.trim() || err.message}`);
    },
  );
  return stdout.trim();
}

function serverProperties({ dataDir, host, port, controllerPort }: Config): string {
  const listeners = `PLAINTEXT://${host}:${port},CONTROLLER://127.0.0.1:${controllerPort}`;
  const props: Record<string, string | number> = {
    'process.roles': 'broker,controller',
    'node.id': 1,
    'controller.quorum.voters': `1@127.0.0.1:${controllerPort}`,
    'controller.listener.names': 'CONTROLLER',
    'inter.broker.listener.name': 'PLAINTEXT',
    'listener.security.protocol.map': 'PLAINTEXT:PLAINTEXT,CONTROLLER:PLAINTEXT',
    listeners,
    'advertised.listeners': listeners,
    'log.dirs': join(dataDir, 'data'),
    'auto.create.topics.enable': 'false',
    'num.partitions': 1,
    'default.replication.factor': 1,
    'min.insync.replicas': 1,
    // Every internal topic needs RF 1 on one node, or groups/transactions never find a coordinator.
    'offsets.topic.replication.factor': 1,
    'offsets.topic.num.partitions': 1,
    'transaction.state.log.replication.factor': 1,
    'transaction.state.log.min.isr': 1,
    'transaction.state.log.num.partitions': 1,
    'share.coordinator.state.topic.replication.factor': 1,
    'share.coordinator.state.topic.min.isr': 1,
    'share.coordinator.state.topic.num.partitions': 1,
    'group.initial.rebalance.delay.ms': 0,
    // After a kill -9 the controller refuses the broker's new registration until the old session
    // expires (DUPLICATE_BROKER_REGISTRATION): 3 s instead of the default 9 s of that wait.
    'broker.session.timeout.ms': 3000,
    'broker.heartbeat.interval.ms': 500,
    // Small files: each partition preallocates its index files at this size.
    'log.segment.bytes': 16 * 1024 * 1024,
    'log.index.size.max.bytes': 1024 * 1024,
  };
  return (
    Object.entries(props)
      .map(([k, v]) => `${k}=${v}`)
      .join('\n') + '\n'
  );
}

// Formats once per data dir; a restart (or a dataDir from an earlier run) keeps its cluster.
// With a static controller.quorum.voters, `format` takes no --standalone.
async function format(config: Config): Promise<void> {
  if (existsSync(join(config.dataDir, 'data', 'meta.properties'))) return;
  const clusterId = randomBytes(16).toString('base64url'); // 22 chars, like `kafka-storage random-uuid`
  // `=` keeps an id that starts with '-' (1 in 64 do) from being read as an option.
  const args = ['format', `--cluster-id=${clusterId}`, '-c', join(config.dataDir, 'server.properties')];
  await run('java', [...jvmArgs(config, '-Xmx256m'), 'kafka.tools.StorageTool', ...args], { timeout: 60_000 }).catch(
    (err: Error & { stdout?: string; stderr?: string }) => {
      throw new Error(
        `Cannot format Kafka storage in ${config.dataDir}: ${`${err.stdout ?? ''}${err.stderr ?? ''}`.trim() || err.message}`,
      );
    },
  );
}

// C1-only JIT and the serial GC halve start-up on 2 cores (measured ~7 s → ~3.7 s); a test
// broker's load never needs C2's peak speed.
function jvmArgs({ libs, dataDir }: Config, ...heap: string[]): string[] {
  const tuning = ['-XX:TieredStopAtLevel=1', '-XX:+UseSerialGC'];
  return [
    ...heap,
    ...tuning,
    `-Dlog4j2.configurationFile=${LOG4J_CONFIG}`,
    `-Dkafka.logs.dir=${dataDir}`,
    '-cp',
    join(libs, '*'),
  ];
}

interface Running {
  child: ChildProcess;
  exited: Promise<void>;
  hasExited(): boolean;
  ready(): boolean;
  output(): string;
}

async function launch(config: Config, timeoutMs: number): Promise<Running> {
  const deadline = Date.now() + timeoutMs;
  const args = [...jvmArgs(config, '-Xms256m', '-Xmx512m'), 'kafka.Kafka', join(config.dataDir, 'server.properties')];
  const proc = watch(spawn('java', args, { cwd: config.dataDir, stdio: ['ignore', 'pipe', 'pipe'] }));
  try {
    await waitForReady(proc, deadline);
    await withAdmin(`${config.host}:${config.port}`, async (admin) => {
      await admin.describeCluster();
      // Finding a group coordinator creates/loads __consumer_offsets, so the first consumer group
      // (and every fetch of committed offsets after a restart) does not wait and log errors for it.
      await admin.describeGroups(['testbed-ready']);
    });
    return proc;
  } catch (err) {
    await terminate(proc, 'SIGKILL');
    const log = await readFile(join(config.dataDir, 'broker.log'), 'utf8').catch(() => '');
    throw new Error(
      `${(err as Error).message}\n--- output ---\n${proc.output()}\n--- broker.log (tail) ---\n${log.slice(-4000)}`,
      { cause: err },
    );
  }
}

function watch(child: ChildProcess): Running {
  let done = false;
  let ready = false;
  let output = '';
  const collect = (s: string) => {
    output += s;
    ready ||= output.includes(READY_LINE);
    output = output.slice(-16_384);
  };
  child.stdout?.setEncoding('utf8').on('data', collect);
  child.stderr?.setEncoding('utf8').on('data', collect);
  const watchdog = parentDeathWatchdog(child);
  const exited = new Promise<void>((resolve) => {
    const end = () => ((done = true), watchdog?.kill('SIGKILL'), resolve());
    child.once('exit', end);
    child.once('error', (err) => (collect(`\n${err.message}`), end())); // e.g. no java on PATH
  });
  // Unreferenced so a forgotten broker never keeps Node alive; the watchdog then kills it.
  child.unref();
  for (const s of [child.stdout, child.stderr]) (s as unknown as { unref(): void } | null)?.unref();
  return { child, exited, hasExited: () => done, ready: () => ready, output: () => output.trim() };
}

// `exit` handlers do not run when this process is SIGKILLed or crashes hard, so a shell holds the
// read end of a pipe from us and SIGKILLs the JVM when it reads EOF, i.e. when we are gone.
function parentDeathWatchdog(child: ChildProcess): ChildProcess | undefined {
  if (child.pid === undefined) return undefined;
  const dog = spawn('sh', ['-c', 'read _; kill -9 "$0" 2>/dev/null', String(child.pid)], {
    stdio: ['pipe', 'ignore', 'ignore'],
  });
  dog.unref();
  (dog.stdin as unknown as { unref(): void } | null)?.unref();
  return dog;
}

function waitForReady(proc: Running, deadline: number): Promise<void> {
  return new Promise((resolve, reject) => {
    // The timer also keeps Node alive while the (unreferenced) JVM starts.
    const timer = setInterval(() => {
      if (proc.ready()) return finish();
      if (proc.hasExited()) return finish(new Error('Kafka broker exited before it was ready'));
      if (Date.now() > deadline) finish(new Error(`Kafka broker did not log "${READY_LINE}" in time`));
    }, 25);
    function finish(err?: Error) {
      clearInterval(timer);
      if (err) reject(err);
      else resolve();
    }
  });
}

async function terminate(proc: Running, signal: 'SIGTERM' | 'SIGKILL'): Promise<void> {
  if (proc.hasExited()) return;
  proc.child.ref(); // keep Node alive until the exit arrives
  proc.child.kill(signal);
  // A clean shutdown should take seconds; never let a stuck one hang the tests.
  const timer = setTimeout(() => proc.child.kill('SIGKILL'), STOP_GRACE_MS);
  await proc.exited;
  clearTimeout(timer);
}

// kafkajs' own waitForLeaders retries only LEADER_NOT_AVAILABLE, but a KRaft broker answers
// UNKNOWN_TOPIC_OR_PARTITION until its metadata cache has the new topic: poll until both pass.
async function waitForLeaders(admin: Admin, topic: string, partitions: number): Promise<void> {
  const deadline = Date.now() + 30_000;
  for (;;) {
    const metadata = await admin
      .fetchTopicMetadata({ topics: [topic] })
      .catch((err: { type?: string; cause?: { type?: string } }) => {
        const type = err.type ?? err.cause?.type; // kafkajs' retrier may have wrapped it
        if (type === 'UNKNOWN_TOPIC_OR_PARTITION' || type === 'LEADER_NOT_AVAILABLE') return undefined;
        throw err;
      });
    const led = metadata?.topics[0]?.partitions.filter((p) => p.leader >= 0).length ?? 0;
    if (led === partitions) return;
    if (Date.now() > deadline)
      throw new Error(`Kafka topic "${topic}" has leaders for ${led} of ${partitions} partitions after 30 s`);
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
}

async function withAdmin<T>(bootstrap: string, use: (admin: Admin) => Promise<T>): Promise<T> {
  // Silent: retriable errors while a broker starts are expected; a final failure is thrown.
  const kafka = new Kafka({
    clientId: 'testbed',
    brokers: [bootstrap],
    logLevel: logLevel.NOTHING,
    retry: { retries: 8 },
  });
  const admin = kafka.admin();
  await admin.connect();
  try {
    return await use(admin);
  } finally {
    await admin.disconnect();
  }
}

// Binds both at once, so the picked ports differ and a fixed port that is taken fails here, clearly.
async function freePorts(host: string, port: number): Promise<[port: number, controllerPort: number]> {
  const servers = [createServer(), createServer()];
  const listen = (server: Server, address: string, wanted: number) =>
    new Promise<number>((resolve, reject) => {
      server.once('error', (err) => reject(new Error(`Cannot listen on ${address}:${wanted}: ${err.message}`)));
      server.listen(wanted, address, () => resolve((server.address() as AddressInfo).port));
    });
  try {
    return await Promise.all([listen(servers[0]!, host, port), listen(servers[1]!, '127.0.0.1', 0)]);
  } finally {
    await Promise.all(servers.map((s) => new Promise((resolve) => s.close(resolve))));
  }
}
