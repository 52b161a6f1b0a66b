// VictoriaLogs single-node as the bench's yardstick: built with `go install` into the user cache on
// first use (never a dependency of the product), run as a child process on 127.0.0.1 only.
import { execFile, spawn } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync } from 'node:fs';
import { homedir, tmpdir } from 'node:os';
import { join } from 'node:path';
import { freePort } from '@instant-logs/testbed';
import { serverHandle, type ServerHandle } from './server.ts';

export const VICTORIA_LOGS_VERSION = 'v1.52.2';
const MODULE = 'github.com/VictoriaMetrics/VictoriaLogs/app/victoria-logs';
const BUILD_TIMEOUT_MS = 15 * 60_000;
const CACHE_DIR = process.env['CACHE_DIR'] ?? join(homedir(), '.cache/instant-dev-logs');
const BIN_DIR = join(CACHE_DIR, `victoria-logs-${VICTORIA_LOGS_VERSION}`);

/** The cached binary's path; builds it with the machine's own Go setup (GOPROXY, GOFLAGS) when absent. */
export async function victoriaLogsBinary(): Promise<{ path: string; builtS: number | null }> {
  const path = join(BIN_DIR, 'victoria-logs');
  if (existsSync(path)) return { path, builtS: null };
  mkdirSync(BIN_DIR, { recursive: true });
  const t0 = performance.now();
  console.log(`Building VictoriaLogs ${VICTORIA_LOGS_VERSION} into ${BIN_DIR} (first use; takes minutes)`);
  await new Promise<void>((resolve, reject) =>
    execFile(
      'go',
      ['install', `${MODULE}@${VICTORIA_LOGS_VERSION}`],
      { env: { ...process.env, GOBIN: BIN_DIR }, cwd: tmpdir(), timeout: BUILD_TIMEOUT_MS },
      (err, _out, stderr) =>
        err
          ? reject(new Error(`cannot build VictoriaLogs with go install: ${err.message}\n${stderr.slice(-2000)}`))
          : resolve(),
    ),
  );
  if (!existsSync(path)) throw new Error(`cannot build VictoriaLogs: go install left no binary in ${BIN_DIR}`);
  return { path, builtS: Math.round((performance.now() - t0) / 1000) };
}

/** Starts VictoriaLogs on a free 127.0.0.1 port with a fresh storage directory; resolves once /health answers OK. */
export async function startVictoriaLogs(binary: string): Promise<ServerHandle> {
  const dataDir = mkdtempSync(join(tmpdir(), 'idl-bench-vlogs-'));
  const port = await freePort();
  const child = spawn(
    binary,
    [`-storageDataPath=${dataDir}`, `-httpListenAddr=127.0.0.1:${port}`, '-loggerLevel=INFO'],
    { stdio: ['ignore', 'pipe', 'pipe'] },
  );
  let output = '';
  const onData = (chunk: Buffer) => void (output = (output + chunk.toString()).slice(-20_000));
  child.stdout.on('data', onData);
  child.stderr.on('data', onData);
  let exitCode: number | null | undefined;
  const exited = new Promise<void>((r) => child.once('exit', (code) => ((exitCode = code), r())));
  const deadline = performance.now() + 30_000;
  for (;;) {
    if (exitCode !== undefined) throw new Error(`VictoriaLogs exited with ${exitCode} before it was ready:\n${output}`);
    const ok = await fetch(`http://127.0.0.1:${port}/health`).then(
      (r) => r.ok,
      () => false,
    );
    if (ok) break;
    if (performance.now() > deadline) {
      child.kill('SIGKILL');
      throw new Error(`VictoriaLogs was not ready in 30 s:\n${output}`);
    }
    await new Promise((r) => setTimeout(r, 50));
  }
  return serverHandle(child, exited, port, dataDir, () => output);
}

/** The ingest path for NDJSON records shaped like ours: message, timestamp, one stream per service. */
export const VICTORIA_LOGS_INGEST = '/insert/jsonline?_msg_field=message&_time_field=timestamp&_stream_fields=service';

/** Pure: the samples of a Prometheus text page, by full series name (`name{labels}`). */
export function seriesOf(text: string): Map<string, number> {
  const values = new Map<string, number>();
  for (const line of text.split('\n')) {
    const m = /^([a-z_:]+(?:\{[^}]*\})?) (\S+)$/.exec(line);
    if (m) values.set(m[1]!, Number(m[2]));
  }
  return values;
}

/**
 * Polls /metrics until nothing is held in memory only (no pending rows, no in-memory parts), so the
 * storage directory holds every acknowledged record; it flushes those within -inmemoryDataFlushInterval (5 s).
 */
export async function waitOnDisk(port: number, deadlineMs = 60_000): Promise<{ waitedS: number; rows: number }> {
  const t0 = performance.now();
  for (;;) {
    const s = seriesOf(await fetch(`http://127.0.0.1:${port}/metrics`).then((r) => r.text()));
    const inMemory = [...s].filter(
      ([k]) => k.startsWith('vl_pending_rows') || /^vl_(storage|indexdb)_parts\{type="[a-z]+\/inmemory"\}/.test(k),
    );
    if (inMemory.length > 0 && inMemory.every(([, v]) => v === 0)) {
      const rows = [...s].filter(([k]) => k.startsWith('vl_storage_rows{')).reduce((n, [, v]) => n + v, 0);
      return { waitedS: Math.round((performance.now() - t0) / 100) / 10, rows };
    }
    if (performance.now() - t0 > deadlineMs)
      throw new Error(
        `VictoriaLogs still held data in memory after ${deadlineMs / 1000} s: ${JSON.stringify(inMemory)}`,
      );
    await new Promise((r) => setTimeout(r, 200));
  }
}
