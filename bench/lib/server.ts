import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';

const ROOT = resolve(import.meta.dirname, '../..');

/** A running server child process on 127.0.0.1. */
export interface ServerHandle {
  port: number;
  pid: number;
  dataDir: string;
  /** What the server printed so far (addresses it listens on, warnings). */
  output(): string;
  /** SIGTERM (graceful drain), SIGKILL after 60 s; removes the data directory unless `keepData`. */
  stop(options?: { keepData?: boolean }): Promise<void>;
}

/** Which entry point to run, with which Node flags and extra environment. */
export interface ServerOptions {
  /** Entry point relative to the repository root; the real embedded server by default. */
  script?: string;
  nodeArgs?: string[];
  env?: Record<string, string>;
}

/** The Node flags `make dev` runs the embedded server with, read from its recipe, so the benches measure what users run. */
export const EMBEDDED_NODE_ARGS = (() => {
  const recipe = /^dev:.*\n\tnode ((?:--\S+ )*)services\/embedded\/src\/main\.ts$/m.exec(
    readFileSync(join(ROOT, 'Makefile'), 'utf8'),
  );
  if (!recipe) throw new Error('the Makefile has no `dev` recipe running node … services/embedded/src/main.ts');
  return recipe[1]!.trim().split(' ').filter(Boolean);
})();

/** Starts the embedded server on a free port with a fresh data directory and no demo traffic. */
export async function startServer(options: ServerOptions = {}): Promise<ServerHandle> {
  const dataDir = mkdtempSync(join(tmpdir(), 'idl-bench-server-'));
  const nodeArgs = options.nodeArgs ?? (options.script === undefined ? EMBEDDED_NODE_ARGS : []);
  const child = spawn(process.execPath, [...nodeArgs, options.script ?? 'services/embedded/src/main.ts'], {
    cwd: ROOT,
    env: {
      ...process.env,
      HOST: '127.0.0.1',
      PORT: '0',
      DATA_DIR: dataDir,
      SAMPLE_TRAFFIC_RATE: '0',
      LOG_LEVEL: 'warn',
      API_KEYS: '',
      ...options.env,
    },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let output = '';
  const exited = new Promise<void>((r) => child.once('exit', () => r()));
  const port = await new Promise<number>((resolvePort, reject) => {
    const timer = setTimeout(() => reject(new Error(`Server did not start in 60 s:\n${output}`)), 60_000);
    const onData = (chunk: Buffer) => {
      output += chunk.toString();
      const m = /Dashboard\s+http:\/\/127\.0\.0\.1:(\d+)\//.exec(output);
      if (m) {
        clearTimeout(timer);
        resolvePort(Number(m[1]));
      }
    };
    child.stdout.on('data', onData);
    child.stderr.on('data', onData);
    child.once('exit', (code) => reject(new Error(`Server exited with ${code} before listening:\n${output}`)));
  });
  return serverHandle(child, exited, port, dataDir, () => output);
}

/** The handle of a server child process that listens on `port` and keeps its data in `dataDir`. */
export function serverHandle(
  child: ChildProcess,
  exited: Promise<void>,
  port: number,
  dataDir: string,
  output: () => string,
): ServerHandle {
  return {
    port,
    pid: child.pid!,
    dataDir,
    output,
    async stop({ keepData = false } = {}) {
      child.kill('SIGTERM');
      const timer = setTimeout(() => child.kill('SIGKILL'), 60_000);
      await exited;
      clearTimeout(timer);
      if (!keepData) rmSync(dataDir, { recursive: true, force: true });
    },
  };
}
