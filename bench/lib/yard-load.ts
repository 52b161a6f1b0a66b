// The side-by-side phase's client and meters: each body of a slice sent exactly once over a closed
// loop, the server's CPU until it is quiet again, and what its directory holds on disk.
import { execFileSync } from 'node:child_process';
import { readdirSync } from 'node:fs';
import { join } from 'node:path';
import { honourRetryAfter, keepAliveAgent, request } from './http.ts';
import { scrape } from './metrics.ts';
import { cpuSeconds } from './stats.ts';

/** What one closed-loop window saw. */
export interface SliceResult {
  requests: number;
  /** Requests answered 2xx. */
  acked: number;
  bytes: number;
  latenciesMs: number[];
  statuses: Record<string, number>;
  windowMs: number;
  /** The window hit its time cap before every body was sent. */
  cut: boolean;
}

/** Posts each body once over `connections` keep-alive connections, each waiting for its answer before the next. */
export async function sendSlice(
  port: number,
  path: string,
  bodies: readonly Buffer[],
  connections: number,
  capMs: number,
): Promise<SliceResult> {
  const agent = keepAliveAgent(connections);
  const latenciesMs: number[] = [];
  const statuses: Record<string, number> = {};
  let next = 0;
  let acked = 0;
  let bytes = 0;
  const t0 = performance.now();
  const connection = async () => {
    while (next < bodies.length && performance.now() - t0 < capMs) {
      const body = bodies[next++]!;
      // A body refused with Retry-After is sent again after that wait, as a log shipper would: both servers
      // must end up holding the same records for their answers to be compared.
      for (;;) {
        const started = performance.now();
        const res = await request(agent, port, 'POST', path, body).catch(() => ({ status: 0 }));
        statuses[res.status] = (statuses[res.status] ?? 0) + 1;
        if (res.status < 200 || res.status > 299) {
          if ((await honourRetryAfter(res, t0 + capMs)) && performance.now() - t0 < capMs) continue;
          break;
        }
        latenciesMs.push(performance.now() - started);
        acked++;
        bytes += body.length;
        break;
      }
    }
  };
  await Promise.all(Array.from({ length: connections }, connection));
  const windowMs = performance.now() - t0;
  agent.destroy();
  return { requests: next, acked, bytes, latenciesMs, statuses, windowMs, cut: next < bodies.length };
}

/** How long to wait for a server to go quiet after load, and what counts as quiet. */
export interface QuietOptions {
  /** Cores the server may still use and count as quiet (its idle timers, flush ticks). */
  idleCores: number;
  /** Consecutive quiet time needed. */
  quietMs: number;
  /** Give up after this long and report it. */
  maxMs: number;
}

/** Polls `pid`'s CPU every 250 ms until it stays under `idleCores` for `quietMs`; says how long that took. */
export async function waitQuiet(pid: number, o: QuietOptions): Promise<{ settleS: number; quiet: boolean }> {
  const t0 = performance.now();
  let last = { cpu: cpuSeconds(pid), at: t0 };
  let quietSince = t0;
  while (performance.now() - t0 < o.maxMs) {
    await new Promise((r) => setTimeout(r, 250));
    const now = { cpu: cpuSeconds(pid), at: performance.now() };
    const cores = (now.cpu - last.cpu) / ((now.at - last.at) / 1000);
    if (cores > o.idleCores) quietSince = now.at;
    last = now;
    if (now.at - quietSince >= o.quietMs) return { settleS: (now.at - t0) / 1000, quiet: true };
  }
  return { settleS: (performance.now() - t0) / 1000, quiet: false };
}

/** Bytes under `dir` (`du -sb`: apparent sizes of every file, directories included) and per top-level entry. */
export function diskUsage(dir: string): { bytes: number; entries: Record<string, number> } {
  const du = (p: string) => Number(execFileSync('du', ['-sb', p], { encoding: 'utf8' }).split('\t')[0]);
  const entries: Record<string, number> = {};
  for (const name of readdirSync(dir)) entries[name] = du(join(dir, name));
  return { bytes: du(dir), entries };
}

/** Polls the embedded server's /metrics until its local log holds nothing unstored (at once without a log). */
export async function waitStored(port: number, deadlineMs = 120_000): Promise<{ waitedS: number }> {
  const agent = keepAliveAgent(1);
  const t0 = performance.now();
  try {
    for (;;) {
      const unstored = (await scrape(agent, port)).get('instant_logs_wal_unstored_bytes') ?? 0;
      if (unstored === 0) return { waitedS: Math.round((performance.now() - t0) / 100) / 10 };
      if (performance.now() - t0 > deadlineMs)
        throw new Error(`The local log still held ${unstored} unstored bytes after ${deadlineMs / 1000} s`);
      await new Promise((r) => setTimeout(r, 100));
    }
  } finally {
    agent.destroy();
  }
}

/** What one paced (open-loop) window saw. */
export interface PacedResult {
  /** The rate asked for, records/s, and what was sent. */
  recordsPerS: number;
  requests: number;
  acked: number;
  /** From each request's scheduled start, so a client or server that falls behind is counted, not hidden. */
  latenciesMs: number[];
  statuses: Record<string, number>;
  windowMs: number;
}

/**
 * Posts each body once at a fixed rate (`recordsPerS` ÷ `recordsPerBody` requests a second), each at
 * its scheduled time whether or not earlier answers came back: the ack latency of a server that
 * has spare capacity, as an application sending at a steady rate sees it.
 */
export async function sendPaced(
  port: number,
  path: string,
  bodies: readonly Buffer[],
  recordsPerS: number,
  recordsPerBody: number,
): Promise<PacedResult> {
  const agent = keepAliveAgent(64);
  const intervalMs = (recordsPerBody / recordsPerS) * 1000;
  const latenciesMs: number[] = [];
  const statuses: Record<string, number> = {};
  let acked = 0;
  const t0 = performance.now();
  const sends = bodies.map(async (body, i) => {
    const scheduled = t0 + i * intervalMs;
    const wait = scheduled - performance.now();
    if (wait > 0) await new Promise((r) => setTimeout(r, wait));
    const { status } = await request(agent, port, 'POST', path, body).catch(() => ({ status: 0 }));
    statuses[status] = (statuses[status] ?? 0) + 1;
    if (status < 200 || status > 299) return;
    latenciesMs.push(performance.now() - scheduled);
    acked++;
  });
  await Promise.all(sends);
  const windowMs = performance.now() - t0;
  agent.destroy();
  return { recordsPerS, requests: bodies.length, acked, latenciesMs, statuses, windowMs };
}
