// `make bench`: runs every phase as its own process (chdb binds one data directory per process,
// and a fresh process gives cold caches), then writes bench/results/embedded.{json,md}.
// All traffic goes to 127.0.0.1. Each phase has a deadline within an overall budget, so the run
// always ends by itself; a phase that fails or runs out of time is reported, and the rest go on.
import { spawn } from 'node:child_process';
import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { renderReport, targets } from './report.ts';
import { cpuPressure, load, machine, round } from './lib/stats.ts';
import { victoriaLogsBinary } from './lib/victoria-logs.ts';

const ROOT = resolve(import.meta.dirname, '..');
const RESULTS = join(ROOT, 'bench/results');
const BUDGET_S = 2250;
const work = mkdtempSync(join(tmpdir(), 'idl-bench-'));
const chdbDir = join(work, 'chdb');
const file = (name: string) => join(work, `${name}.json`);
const started = performance.now();
const phaseSeconds: Record<string, number> = {};
const phaseRunAt: Record<string, string> = {};
const failures: Record<string, string> = {};
const results: Record<string, unknown> = {};

/** Runs `node bench/<name>.ts …args` from the repository root and returns its JSON, or null (recorded in `failures`). */
async function phase(name: string, deadlineS: number, args: string[], env: Record<string, string> = {}): Promise<any> {
  const leftS = Math.floor(BUDGET_S - (performance.now() - started) / 1000);
  if (leftS < 30) {
    failures[name] = 'skipped: the time budget was spent';
    return null;
  }
  const t0 = performance.now();
  const limit = Math.min(deadlineS, leftS);
  console.log(`[${new Date().toISOString().slice(11, 19)}] ${name} (deadline ${limit} s, load ${load().join(' ')})`);
  const child = spawn(process.execPath, [`bench/${name}.ts`, ...args, file(name)], {
    cwd: ROOT,
    stdio: 'inherit',
    env: { ...process.env, ...env },
  });
  const timer = setTimeout(() => child.kill('SIGKILL'), limit * 1000);
  const code = await new Promise<number | null>((r) => child.once('exit', r));
  clearTimeout(timer);
  phaseSeconds[name] = round((performance.now() - t0) / 1000);
  phaseRunAt[name] = new Date().toISOString();
  if (code !== 0) {
    failures[name] = code === null ? `killed at its ${limit} s deadline` : `exited with ${code}`;
    return null;
  }
  return JSON.parse(readFileSync(file(name), 'utf8'));
}

// `--only a,b` re-runs those phases and keeps the other results of the last full run.
const only = process.argv.includes('--only')
  ? new Set(process.argv[process.argv.indexOf('--only') + 1]!.split(','))
  : undefined;
const previous = only ? JSON.parse(readFileSync(join(RESULTS, 'embedded.json'), 'utf8')) : undefined;
const runs = (name: string) => !only || only.has(name);

const machineAtStart = machine();
try {
  if (runs('ingest')) results['ingest'] = await phase('ingest', 300, []);
  if (runs('profile')) results['profile'] = await phase('profile', 60, []);
  if (runs('insert-cost')) results['insertCost'] = await phase('insert-cost', 150, []);
  const data = runs('query-data') ? await phase('query-data', 150, [chdbDir]) : undefined;
  if (data !== undefined) results['queryData'] = data;
  if (data) {
    results['queryLatency'] = await phase('query-latency', 60, [chdbDir, file('query-data')]);
    results['compressionVariants'] = await phase('compression', 120, [chdbDir], {
      NDJSON_BYTES: String(data.compression.ndjsonBytes),
    });
  }
  if (runs('protocols')) results['protocols'] = await phase('protocols', 150, []);
  if (runs('auth-overhead')) results['authOverhead'] = await phase('auth-overhead', 300, []);
  if (runs('yardstick')) {
    // Built before the phase's clock starts: on a fresh machine `go install` takes minutes.
    const built = await victoriaLogsBinary().catch((err: Error) => void (failures['yardstick'] = err.message));
    if (built?.builtS) phaseSeconds['victoria-logs build'] = built.builtS;
    if (built) results['yardstick'] = await phase('yardstick', 1200, []);
  }
  const { targets: _, ...kept } = previous ?? {};
  const full = {
    ...kept,
    date: new Date().toISOString(),
    command: only ? `node bench/embedded.ts --only ${[...only].join(',')}` : 'make bench  (node bench/embedded.ts)',
    durationS: round((performance.now() - started) / 1000),
    phaseSeconds: { ...kept.phaseSeconds, ...phaseSeconds },
    // A partial run keeps the other phases' results: each phase says when it last ran.
    phaseRunAt: {
      ...(kept.phaseRunAt ?? Object.fromEntries(Object.keys(kept.phaseSeconds ?? {}).map((k) => [k, kept.date]))),
      ...phaseRunAt,
    },
    failures,
    machine: { ...machineAtStart, loadavgAtEnd: load(), cpuPressureAtEnd: cpuPressure() },
    ...results,
  };
  mkdirSync(RESULTS, { recursive: true });
  writeFileSync(join(RESULTS, 'embedded.json'), `${JSON.stringify({ ...full, targets: targets(full) }, null, 2)}\n`);
  writeFileSync(join(RESULTS, 'embedded.md'), renderReport(full));
  console.log(
    `Wrote bench/results/embedded.json and embedded.md in ${full.durationS} s${Object.keys(failures).length ? `; incomplete: ${Object.keys(failures).join(', ')}` : ''}`,
  );
} finally {
  rmSync(work, { recursive: true, force: true });
}
