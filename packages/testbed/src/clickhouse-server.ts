import { execFile, spawn, type ChildProcess } from 'node:child_process';
import { createHash, randomBytes } from 'node:crypto';
import { existsSync } from 'node:fs';
import { mkdir, mkdtemp, readFile, realpath, rename, rm, writeFile } from 'node:fs/promises';
import { createRequire } from 'node:module';
import { homedir, tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { httpGet } from './http-get.ts';

export interface ClickHouseUser {
  name: string;
  password: string;
}

export interface ClickHouseServerOptions {
  /** Data directory; kept across restarts. Omitted → a fresh temp dir that `stop()` deletes. */
  dataDir?: string;
  /** Users besides `default`, which stays without a password (the self-test uses it). */
  users?: ClickHouseUser[];
  /** HTTP port; 0 (default) picks a free one. A restart passes the old port so clients reconnect. */
  port?: number;
  /** Address to listen on (default 127.0.0.1), e.g. the one-node cluster's host address for its pods. */
  host?: string;
  /** How long start may take before it gives up. */
  startTimeoutMs?: number;
  /** Also serve ClickHouse's native TCP protocol (what Distributed tables use) on this port; 0 picks one. */
  tcpPort?: number;
  /** XML elements added inside the server's `<clickhouse>` config, e.g. `remote_servers` and `macros`. */
  configXml?: string;
}

export interface ClickHouseServer {
  /** `http://<host>:<port>` */
  url: string;
  port: number;
  /** The native TCP port, when `tcpPort` was given. */
  tcpPort: number | undefined;
  dataDir: string;
  /** What `SELECT version()` answered during the self-test. */
  version: string;
  pid: number;
  /**
   * Closes the server's stdin (a clean shutdown) and waits for it to exit; SIGKILL after 15 s.
   * Close clients first: an open keep-alive connection delays the exit by about 5 s.
   */
  stop(): Promise<void>;
  /** SIGKILL now, for fault tests. `stop()` afterwards waits for the exit. */
  kill(): void;
  /** Whether the process is still running. */
  running(): boolean;
  /** The end of what the server wrote to stderr (why it exited, when it did). */
  stderr(): string;
}

const SOURCE = fileURLToPath(new URL('../native/chdb-http-server.c', import.meta.url));
const CACHE_ROOT = join(homedir(), '.cache', 'instant-dev-logs');
const POLL_MS = 20;

/**
 * Starts a real ClickHouse HTTP server (clickhouse-local from the installed libchdb) on a free
 * loopback port, waits for /ping and self-tests `SELECT version()`. It exits when this process does.
 */
export async function startClickHouseServer(options: ClickHouseServerOptions = {}): Promise<ClickHouseServer> {
  const deadline = Date.now() + (options.startTimeoutMs ?? 60_000);
  const lib = await findLibchdb();
  const launcher = await buildLauncher(lib);
  const ownsDir = options.dataDir === undefined;
  const dataDir = options.dataDir ?? (await mkdtemp(join(tmpdir(), 'clickhouse-testbed-')));
  const confDir = join(dataDir, '.testbed');
  await mkdir(confDir, { recursive: true });
  const configFile = await writeConfig(confDir, options.users ?? [], options.configXml ?? '');
  const portFile = join(confDir, 'http_port');
  const tcpPortFile = join(confDir, 'tcp_port');

  // A killed predecessor on the same directory may still hold its lock for a moment: retry briefly.
  const lockDeadline = Math.min(deadline, Date.now() + 5_000);
  for (;;) {
    await rm(portFile, { force: true });
    await rm(tcpPortFile, { force: true });
    const host = options.host ?? '127.0.0.1';
    const ports = { host, http: options.port ?? 0, tcp: options.tcpPort, portFile, tcpPortFile };
    const child = spawn(launcher, serverArgs(dataDir, configFile, ports), {
      cwd: dataDir,
      stdio: ['pipe', 'ignore', 'pipe'],
    });
    const proc = watch(child);
    try {
      const port = await waitForPort(portFile, proc, deadline);
      const url = `http://${host}:${port}`;
      await waitForPing(url, proc, deadline);
      const version = await selfTest(url, lib.version);
      const tcpPort = options.tcpPort === undefined ? undefined : await waitForPort(tcpPortFile, proc, deadline);
      return handle(proc, { url, port, tcpPort, dataDir, version, ownsDir });
    } catch (err) {
      await terminate(proc);
      if (proc.stderr().includes('Cannot lock file') && Date.now() < lockDeadline) {
        await delay(100);
        continue;
      }
      if (ownsDir) await rm(dataDir, { recursive: true, force: true });
      throw err;
    }
  }
}

interface Watched {
  child: ChildProcess;
  exited: Promise<void>;
  hasExited(): boolean;
  stderr(): string;
}

function watch(child: ChildProcess): Watched {
  let done = false;
  let stderr = '';
  child.stderr?.setEncoding('utf8').on('data', (s: string) => (stderr = (stderr + s).slice(-8192)));
  const exited = new Promise<void>((resolve) => {
    child.once('exit', (code, signal) => {
      if (code !== 0 || signal) stderr += `\nexited with ${signal ? `signal ${signal}` : `code ${code}`}`;
      done = true;
      resolve();
    });
    child.once('error', (err) => ((stderr += `\n${err.message}`), (done = true), resolve())); // e.g. spawn failed
  });
  // EPIPE when the server is already gone; its exit is what matters and is reported above.
  child.stdin?.on('error', () => {});
  // Unreferenced so a forgotten server never keeps Node alive; its stdin then closes and it exits.
  child.unref();
  (child.stdin as unknown as { unref(): void } | null)?.unref();
  (child.stderr as unknown as { unref(): void } | null)?.unref();
  return { child, exited, hasExited: () => done, stderr: () => stderr.trim() };
}

function handle(
  proc: Watched,
  info: { url: string; port: number; tcpPort: number | undefined; dataDir: string; version: string; ownsDir: boolean },
): ClickHouseServer {
  return {
    url: info.url,
    port: info.port,
    tcpPort: info.tcpPort,
    dataDir: info.dataDir,
    version: info.version,
    pid: proc.child.pid ?? -1,
    async stop() {
      await terminate(proc);
      if (info.ownsDir) await rm(info.dataDir, { recursive: true, force: true });
    },
    kill() {
      if (!proc.hasExited()) proc.child.kill('SIGKILL');
    },
    running: () => !proc.hasExited(),
    stderr: () => proc.stderr(),
  };
}

async function terminate(proc: Watched): Promise<void> {
  if (proc.hasExited()) return;
  proc.child.ref(); // keep Node alive until the exit arrives
  proc.child.stdin?.end();
  const timer = setTimeout(() => proc.child.kill('SIGKILL'), 15_000);
  await proc.exited;
  clearTimeout(timer);
}

// SYSTEM START LISTEN opens the HTTP port inside clickhouse-local; the last query blocks on stdin,
// so the server lives exactly as long as the pipe from this process stays open.
// TCP, when asked, opens after HTTP and its port file is written last: waiting for it waits for both.
function serverArgs(
  dataDir: string,
  configFile: string,
  ports: { host: string; http: number; tcp: number | undefined; portFile: string; tcpPortFile: string },
): string[] {
  const tcp =
    ports.tcp === undefined
      ? []
      : [
          'SYSTEM START LISTEN TCP',
          `SELECT getServerPort('tcp_port') INTO OUTFILE ${sqlString(ports.tcpPortFile)} TRUNCATE FORMAT TSV`,
        ];
  const query = [
    'SYSTEM START LISTEN HTTP',
    `SELECT getServerPort('http_port') INTO OUTFILE ${sqlString(ports.portFile)} TRUNCATE FORMAT TSV`,
    ...tcp,
    `SELECT count() FROM file(stdin, 'LineAsString')`,
  ].join('; ');
  return [
    `--config-file=${configFile}`,
    `--path=${dataDir}`,
    `--listen_host=${ports.host}`,
    `--http_port=${ports.http}`,
    ...(ports.tcp === undefined ? [] : [`--tcp_port=${ports.tcp}`]),
    '--multiquery',
    `--query=${query}`,
  ];
}

async function waitForPort(portFile: string, proc: Watched, deadline: number): Promise<number> {
  return poll('the HTTP port', proc, deadline, async () => {
    const text = await readFile(portFile, 'utf8').catch(() => '');
    return /^\d+\n$/.test(text) ? Number(text) : undefined;
  });
}

async function waitForPing(url: string, proc: Watched, deadline: number): Promise<void> {
  await poll('/ping', proc, deadline, async () => {
    const res = await httpGet(`${url}/ping`).catch(() => undefined);
    return res?.status === 200 && res.body === 'Ok.\n' ? true : undefined;
  });
}

async function poll<T>(what: string, proc: Watched, deadline: number, probe: () => Promise<T | undefined>): Promise<T> {
  for (;;) {
    const value = await probe();
    if (value !== undefined) return value;
    if (proc.hasExited())
      throw new Error(`ClickHouse server exited while waiting for ${what}: ${proc.stderr() || 'no output'}`);
    if (Date.now() > deadline)
      throw new Error(`ClickHouse server did not provide ${what} in time: ${proc.stderr() || 'no output'}`);
    await delay(POLL_MS);
  }
}

// Pins the engine: the binary must be the ClickHouse release the chdb package was built from.
async function selfTest(url: string, libVersion: string): Promise<string> {
  const res = await httpGet(`${url}/?query=${encodeURIComponent('SELECT version()')}`);
  const version = res.body.trim();
  const wanted = libVersion.split('.').slice(0, 2).join('.');
  if (res.status !== 200 || !version.startsWith(`${wanted}.`)) {
    throw new Error(
      `ClickHouse server self-test failed: SELECT version() answered ${res.status} "${version}", expected ${wanted}.x`,
    );
  }
  return version;
}

// clickhouse-local reads users only from a separate users_config file, not from the main config.
async function writeConfig(confDir: string, users: ClickHouseUser[], extraXml: string): Promise<string> {
  const entries = [{ name: 'default', password: '' }, ...users].map(({ name, password }, i) => {
    if (!/^[A-Za-z_][A-Za-z0-9_]*$/.test(name) || (i > 0 && name === 'default'))
      throw new Error(`Invalid ClickHouse user name "${name}"`);
    const secret = password
      ? `<password_sha256_hex>${sha256(password)}</password_sha256_hex>`
      : '<password></password>';
    return `<${name}>${secret}<networks><ip>::/0</ip></networks><profile>default</profile><quota>default</quota></${name}>`;
  });
  const usersFile = join(confDir, 'users.xml');
  await writeFile(
    usersFile,
    `<clickhouse>\n<users>\n${entries.join('\n')}\n</users>\n<profiles><default/></profiles>\n<quotas><default/></quotas>\n</clickhouse>\n`,
  );
  const configFile = join(confDir, 'config.xml');
  await writeFile(
    configFile,
    `<clickhouse><users_config>${xmlText(usersFile)}</users_config>${extraXml}</clickhouse>\n`,
  );
  return configFile;
}

interface Libchdb {
  dir: string;
  version: string;
}

async function findLibchdb(): Promise<Libchdb> {
  // libchdb is chdb's platform package; resolve it from chdb so hoisting does not matter.
  const fromChdb = createRequire(createRequire(import.meta.url).resolve('chdb'));
  const pkgFile = await realpath(fromChdb.resolve('@chdb/lib-linux-x64-gnu/package.json'));
  const { version } = JSON.parse(await readFile(pkgFile, 'utf8')) as { version: string };
  return { dir: dirname(pkgFile), version };
}

// Compiles the launcher unless a build for this source and libchdb is cached; returns its path.
async function buildLauncher(lib: Libchdb): Promise<string> {
  const source = await readFile(SOURCE);
  // The binary embeds libchdb's directory as its rpath, so the directory is part of the key too.
  const key = sha256(Buffer.concat([source, Buffer.from(`\0${lib.version}\0${lib.dir}`)])).slice(0, 16);
  const dir = join(CACHE_ROOT, `chdb-http-server-${key}`);
  const bin = join(dir, 'chdb-http-server');
  if (existsSync(bin)) return bin;
  await mkdir(dir, { recursive: true });
  // Unique per call: servers started together in one process may each build it.
  const tmp = `${bin}.${process.pid}.${randomBytes(4).toString('hex')}.tmp`;
  const args = ['-O2', '-Wall', '-o', tmp, SOURCE, `-L${lib.dir}`, '-lchdb', `-Wl,-rpath,${lib.dir}`];
  await promisify(execFile)('gcc', args).catch((err: Error & { stderr?: string }) => {
    throw new Error(`Cannot compile ${SOURCE} with gcc: ${err.stderr || err.message}`);
  });
  await rename(tmp, bin); // atomic, so parallel test files never run a half-written binary
  return bin;
}

function sqlString(s: string): string {
  return `'${s.replace(/\\/g, '\\\\').replace(/'/g, "\\'")}'`;
}

function xmlText(s: string): string {
  return s.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;');
}

function sha256(data: string | Buffer): string {
  return createHash('sha256').update(data).digest('hex');
}

function delay(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}
