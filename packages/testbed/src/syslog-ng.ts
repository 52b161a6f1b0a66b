import { execFile, spawn } from 'node:child_process';
import { existsSync } from 'node:fs';
import { mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { waitUntil } from './wait.ts';

export interface SyslogNgOptions {
  /** The whole syslog-ng.conf text, starting with `@version: 3.38` (or the installed version). */
  config: string;
  /** Where config, persist file, pid file and control socket go; a fresh temp dir by default, removed by stop(). */
  dir?: string;
  /** The syslog-ng binary; /usr/sbin/syslog-ng (Debian's package) by default. */
  binary?: string;
  startTimeoutMs?: number;
}

export interface SyslogNg {
  dir: string;
  pid: number;
  /** What syslog-ng logged about itself so far (its internal messages go to stderr). */
  stderr(): string;
  /** SIGTERM, then waits for the exit (SIGKILL after 10 s); syslog-ng flushes its destinations on TERM. */
  stop(): Promise<void>;
}

const STARTED = 'syslog-ng starting up';

/**
 * Starts a private syslog-ng in the foreground with its own config, persist file, pid file and
 * control socket, and waits until it logs that it started. The system daemon is never touched.
 */
export async function startSyslogNg(options: SyslogNgOptions): Promise<SyslogNg> {
  const ownsDir = options.dir === undefined;
  const dir = options.dir ?? (await mkdtemp(join(tmpdir(), 'syslog-ng-testbed-')));
  await mkdir(dir, { recursive: true });
  const conf = join(dir, 'syslog-ng.conf');
  await writeFile(conf, options.config);
  const binary = options.binary ?? (existsSync('/usr/sbin/syslog-ng') ? '/usr/sbin/syslog-ng' : 'syslog-ng');
  const args = [
    '-F',
    '-e',
    '--no-caps',
    '-f',
    conf,
    '-R',
    join(dir, 'persist'),
    '-p',
    join(dir, 'pid'),
    '-c',
    join(dir, 'ctl'),
  ];
  const child = spawn(binary, args, { cwd: dir, stdio: ['ignore', 'pipe', 'pipe'] });
  let output = '';
  const collect = (s: string) => (output = (output + s).slice(-16_384));
  child.stdout.setEncoding('utf8').on('data', collect);
  child.stderr.setEncoding('utf8').on('data', collect);
  let exited = false;
  const exit = new Promise<void>((resolve) => {
    child.once('exit', () => ((exited = true), resolve()));
    child.once('error', (err) => (collect(`\n${err.message}`), (exited = true), resolve()));
  });
  // A test that dies half-way must not leave a daemon behind.
  const killOnExit = () => child.kill('SIGKILL');
  process.once('exit', killOnExit);

  const stop = async () => {
    process.removeListener('exit', killOnExit);
    if (!exited) child.kill('SIGTERM');
    const timer = setTimeout(() => child.kill('SIGKILL'), 10_000);
    await exit;
    clearTimeout(timer);
    if (ownsDir) await rm(dir, { recursive: true, force: true });
  };

  try {
    await waitUntil(
      'syslog-ng to start',
      () => {
        if (exited) throw new Error(`syslog-ng exited during start-up:\n${output.trim()}`);
        return output.includes(STARTED);
      },
      options.startTimeoutMs ?? 20_000,
      20,
    );
  } catch (err) {
    await stop();
    throw err;
  }
  return { dir, pid: child.pid ?? -1, stderr: () => output, stop };
}

/** Runs Debian's loggen with `args` and resolves with its output and exit code, whatever that is. */
export function runLoggen(
  args: string[],
  options: { binary?: string; timeoutMs?: number } = {},
): Promise<{ stdout: string; stderr: string; code: number }> {
  const binary = options.binary ?? (existsSync('/usr/bin/loggen') ? '/usr/bin/loggen' : 'loggen');
  return new Promise((resolve) => {
    execFile(
      binary,
      args,
      { timeout: options.timeoutMs ?? 120_000, maxBuffer: 16 * 1024 * 1024 },
      (err, stdout, stderr) => {
        const code = err ? (typeof err.code === 'number' ? err.code : -1) : 0;
        resolve({ stdout, stderr: err && typeof err.code !== 'number' ? `${stderr}\n${err.message}` : stderr, code });
      },
    );
  });
}
