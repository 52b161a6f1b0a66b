import { readdirSync, readFileSync } from 'node:fs';
import { cpus, freemem, loadavg, totalmem } from 'node:os';

/** Latency summary in milliseconds. */
export interface Summary {
  n: number;
  p50: number;
  p90: number;
  p99: number;
  max: number;
  mean: number;
}

/** Pure: nearest-rank percentiles of `values` (ms), rounded to 0.1 ms. */
export function summarize(values: readonly number[]): Summary {
  const sorted = [...values].sort((a, b) => a - b);
  const at = (q: number) => sorted[Math.min(sorted.length - 1, Math.max(0, Math.ceil(q * sorted.length) - 1))] ?? NaN;
  const mean = sorted.reduce((a, b) => a + b, 0) / (sorted.length || 1);
  return {
    n: sorted.length,
    p50: round(at(0.5)),
    p90: round(at(0.9)),
    p99: round(at(0.99)),
    max: round(at(1)),
    mean: round(mean),
  };
}

/** Pure: the median of `values`. */
export function median(values: readonly number[]): number {
  return summarize(values).p50;
}

/** Pure: `x` rounded to `digits` decimals. */
export function round(x: number, digits = 1): number {
  const f = 10 ** digits;
  return Math.round(x * f) / f;
}

/** The 1/5/15-minute load averages, rounded. */
export function load(): number[] {
  return loadavg().map((x) => round(x, 2));
}

/** What the numbers were measured on. */
export function machine() {
  return {
    cpus: cpus().length,
    cpuModel: cpus()[0]?.model ?? 'unknown',
    ramGiB: round(totalmem() / 2 ** 30),
    freeRamGiB: round(freemem() / 2 ** 30),
    node: process.version,
    platform: `${process.platform} ${process.arch}`,
    loadavg: load(),
    cpuPressure: cpuPressure(),
  };
}

// Linux reports utime/stime in clock ticks; USER_HZ is 100 on every mainstream Linux build.
const TICKS_PER_SECOND = 100;

/** CPU seconds (user + system, all threads) used so far by process `pid`; getrusage for this process. */
export function cpuSeconds(pid: number | 'self'): number {
  if (pid === 'self') {
    const u = process.cpuUsage();
    return (u.user + u.system) / 1e6;
  }
  return statCpu(readFileSync(`/proc/${pid}/stat`, 'utf8')).seconds;
}

/** Pure: the thread or process name and its CPU seconds from a /proc stat line. */
function statCpu(stat: string): { name: string; seconds: number } {
  // Fields after the command name, which is in parentheses and may hold spaces.
  const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
  return {
    name: stat.slice(stat.indexOf('(') + 1, stat.lastIndexOf(')')),
    seconds: (Number(fields[11]) + Number(fields[12])) / TICKS_PER_SECOND,
  };
}

/** Each live thread of `pid` by id: its name now and its CPU seconds so far. */
export function tidCpu(pid: number): Map<string, { name: string; seconds: number }> {
  const threads = new Map<string, { name: string; seconds: number }>();
  for (const tid of readdirSync(`/proc/${pid}/task`)) {
    try {
      threads.set(tid, statCpu(readFileSync(`/proc/${pid}/task/${tid}/stat`, 'utf8')));
    } catch {
      // the thread ended between listing and reading
    }
  }
  return threads;
}

/**
 * Pure: CPU seconds each thread group spent between two tidCpu readings, by thread name at the second with its digits
 * as '#' (ClickHouse and libuv number their pools). Taken thread by thread: the engine renames its pool threads by
 * job, and a group's sums would move a renamed thread's whole past between groups. Threads that ended in between
 * are in neither reading.
 */
export function threadGroupCpu(
  before: ReadonlyMap<string, { seconds: number }>,
  after: ReadonlyMap<string, { name: string; seconds: number }>,
): Map<string, number> {
  const byGroup = new Map<string, number>();
  for (const [tid, { name, seconds }] of after) {
    const group = name.replace(/[0-9]+/g, '#');
    byGroup.set(group, (byGroup.get(group) ?? 0) + seconds - (before.get(tid)?.seconds ?? 0));
  }
  return byGroup;
}

/** Peak and current resident memory of a process, in MiB, from /proc. */
export function memory(pid: number): { rssMiB: number; peakMiB: number } {
  const status = readFileSync(`/proc/${pid}/status`, 'utf8');
  const kib = (field: string) => Number(new RegExp(`^${field}:\\s+(\\d+)`, 'm').exec(status)?.[1] ?? NaN);
  return { rssMiB: round(kib('VmRSS') / 1024), peakMiB: round(kib('VmHWM') / 1024) };
}

/**
 * What a thread of a Node process does, from its name; the event loop is the thread whose id is the pid. The rest are
 * chdb's ClickHouse engine in the embedded process, and Node's own few (inspector, profiler) elsewhere.
 */
function roleOf(pid: number, tid: string, name: string): string {
  if (tid === String(pid)) return 'event loop';
  if (name === 'WorkerThread') return 'ingest threads';
  if (name === 'V8Worker') return 'V8 helpers (GC, compiler)';
  if (name.startsWith('libuv-worker')) return 'libuv pool (fsync, zlib)';
  return 'ClickHouse engine (chdb) and other native threads';
}

/**
 * CPU seconds so far of `pid` by role (roleOf), plus 'ended threads': the process total that no live
 * thread accounts for any more (ClickHouse starts and ends query threads).
 */
export function roleCpu(pid: number): Map<string, number> {
  const byRole = new Map<string, number>();
  let live = 0;
  for (const tid of readdirSync(`/proc/${pid}/task`)) {
    try {
      const { name, seconds } = statCpu(readFileSync(`/proc/${pid}/task/${tid}/stat`, 'utf8'));
      const role = roleOf(pid, tid, name);
      byRole.set(role, (byRole.get(role) ?? 0) + seconds);
      live += seconds;
    } catch {
      // the thread ended between listing and reading
    }
  }
  byRole.set('ended threads', cpuSeconds(pid) - live);
  return byRole;
}

/** Pure: µs of CPU per record of each role between two roleCpu readings, largest first. */
export function usPerRecordByRole(
  before: Map<string, number>,
  after: Map<string, number>,
  records: number,
): Record<string, number> {
  const roles = [...after].map(([role, s]) => [role, round(((s - (before.get(role) ?? 0)) / records) * 1e6)] as const);
  return Object.fromEntries(roles.filter(([, us]) => us > 0).sort((a, b) => b[1] - a[1]));
}

/**
 * Pure: µs of CPU per record of each thread group (threadGroupCpu) between two tidCpu readings, for processes whose
 * threads say what they do by name (the broker's JVM, ClickHouse); the eight largest, then the rest together.
 */
export function usPerRecordByThreadName(
  before: ReadonlyMap<string, { seconds: number }>,
  after: ReadonlyMap<string, { name: string; seconds: number }>,
  records: number,
): Record<string, number> {
  const groups = [...threadGroupCpu(before, after)].filter(([, s]) => s > 0).sort((a, b) => b[1] - a[1]);
  const us = (s: number) => round((s / records) * 1e6);
  const rest = groups.slice(8).reduce((n, [, s]) => n + s, 0);
  return Object.fromEntries([
    ...groups.slice(0, 8).map(([name, s]) => [name, us(s)] as const),
    ...(rest > 0 ? [['other threads', us(rest)] as const] : []),
  ]);
}

/** Measures cores used per thread group of `pid` from now until the returned function is called; top groups first. */
export function threadMeter(pid: number): () => { thread: string; cores: number }[] {
  const before = tidCpu(pid);
  const t0 = performance.now();
  return () => {
    const s = (performance.now() - t0) / 1000;
    return [...threadGroupCpu(before, tidCpu(pid))]
      .map(([thread, cpu]) => ({ thread, cores: round(cpu / s, 2) }))
      .filter((t) => t.cores >= 0.01)
      .sort((a, b) => b.cores - a.cores);
  };
}

/** CPU seconds spent machine-wide so far (all processes and the kernel's own threads, from /proc/stat). */
export function machineCpuSeconds(): number {
  const [, ...v] = readFileSync('/proc/stat', 'utf8').split('\n')[0]!.trim().split(/\s+/).map(Number);
  const idle = (v[3] ?? 0) + (v[4] ?? 0);
  return (v.reduce((a, b) => a + b, 0) - idle) / TICKS_PER_SECOND;
}

/** Cores kept busy machine-wide (all processes, from /proc/stat) from now until the returned function is called. */
export function machineMeter(): () => number {
  const b0 = machineCpuSeconds();
  const t0 = performance.now();
  return () => round((machineCpuSeconds() - b0) / ((performance.now() - t0) / 1000), 2);
}

/** CPU pressure (share of time some runnable task waited for a CPU), from /proc/pressure/cpu. */
export function cpuPressure(): { avg10: number; avg60: number } | null {
  try {
    const line = readFileSync('/proc/pressure/cpu', 'utf8').split('\n')[0]!;
    return { avg10: Number(/avg10=([\d.]+)/.exec(line)?.[1]), avg60: Number(/avg60=([\d.]+)/.exec(line)?.[1]) };
  } catch {
    return null;
  }
}

/** Measures how many cores `pid` keeps busy between start() and the returned function's call. */
export function coreMeter(pid: number | 'self'): () => number {
  const cpu0 = cpuSeconds(pid);
  const t0 = performance.now();
  return () => round((cpuSeconds(pid) - cpu0) / ((performance.now() - t0) / 1000), 2);
}
