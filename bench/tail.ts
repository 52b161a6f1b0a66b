// Live tail at scale: the query service on chdb in-process, 0 to 1,000 WebSocket tails (from another
// process) over 10 or 100 distinct filters, while records matching every filter are stored 10 times a
// second. Per phase: store queries/s (counted below the store), delivery latency (stored → received),
// and the server process's CPU.
// Usage: node bench/tail.ts [label | --report]  (writes bench/results/tail-<label>.json and rewrites bench/results/tail.md
// from every tail-*.json there, so a run of the code before and after sits side by side; --report only rewrites it)
import assert from 'node:assert/strict';
import { execFileSync, fork } from 'node:child_process';
import { once } from 'node:events';
import { mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { buildApp } from '@instant-logs/query';
import { parseApiKeys } from '@instant-logs/service-kit';
import { createChdbTransport, createLogStore, type ClickHouseTransport } from '@instant-logs/store';
import { cpuSeconds, load, machine, round, type Summary } from './lib/stats.ts';

const [label = 'run'] = process.argv.slice(2);
const WINDOW_MS = 10_000;
const INSERT_EVERY_MS = 100;
const PHASES = [
  { tails: 0, filters: 10 },
  { tails: 10, filters: 10 },
  { tails: 100, filters: 10 },
  { tails: 1000, filters: 10 },
  { tails: 1000, filters: 100 },
];

interface Result {
  tails: number;
  filters: number;
  queriesPerS: number;
  cpuPct: number;
  delivered: number;
  expected: number;
  duplicates: number;
  latency: Summary;
  load: number[];
}

if (label !== '--report') await run();
writeSummary();

async function run(): Promise<void> {
  const dir = mkdtempSync(join(tmpdir(), 'bench-tail-'));
  const transport = createChdbTransport({ path: dir });
  let queries = 0;
  const counted: ClickHouseTransport = {
    ...transport,
    query: (sql, params) => (queries++, transport.query(sql, params)),
  };
  const store = createLogStore(counted, 'bench_tail');
  await store.migrate();
  const app = buildApp({
    store,
    keyring: parseApiKeys(''),
    logger: false,
    tailLimits: { maxPerTenant: 2000, maxTotal: 2000 },
  });
  await app.listen({ host: '127.0.0.1', port: 0 });
  const address = app.server.address();
  const url = `ws://127.0.0.1:${typeof address === 'object' && address ? address.port : 0}/api/v1/tail`;

  const clients = fork(new URL('./tail-clients.ts', import.meta.url), { stdio: 'inherit' });
  async function ask<T>(message: object, reply: string, timeoutMs = 120_000): Promise<T> {
    const answer = new Promise<T>((resolve) => {
      const on = (m: { cmd: string }) => {
        if (m.cmd !== reply) return;
        clients.off('message', on);
        resolve(m as T);
      };
      clients.on('message', on);
    });
    clients.send(message);
    const late = new Promise<never>((_, reject) => {
      setTimeout(() => reject(new Error(`no ${reply} in ${timeoutMs} ms`)), timeoutMs).unref();
    });
    return Promise.race([answer, late]);
  }
  await once(clients, 'message');

  let seq = 0;
  function records(filters: number): string {
    const now = Date.now();
    const at = new Date(now).toISOString();
    return Array.from({ length: filters }, (_, i) =>
      JSON.stringify({
        id: `b${String(++seq).padStart(9, '0')}`,
        tenant: 'default',
        timestamp: at,
        observed_timestamp: at,
        service: `svc-${i}`,
        level: 'info',
        severity_text: 'INFO',
        severity_number: 9,
        body: `bench record ${seq}`,
        attributes: { sent_ms: String(now) },
        resource: {},
        trace_id: '',
        span_id: '',
      }),
    ).join('\n');
  }

  const results: Result[] = [];
  let open = 0;
  for (const phase of PHASES) {
    if (phase.tails < open || (phase.tails > 0 && results.at(-1)?.filters !== phase.filters)) {
      await ask({ cmd: 'close' }, 'closed');
      open = 0;
    }
    if (phase.tails > open)
      open = (
        await ask<{ open: number }>({ cmd: 'open', url, count: phase.tails - open, filters: phase.filters }, 'opened')
      ).open;
    await ask({ cmd: 'reset', fromMs: Date.now() }, 'reset');
    const [q0, cpu0, t0] = [queries, cpuSeconds('self'), performance.now()];
    let inserts = 0;
    while (performance.now() - t0 < WINDOW_MS) {
      const next = t0 + inserts * INSERT_EVERY_MS;
      if (performance.now() < next) await new Promise((r) => setTimeout(r, next - performance.now()));
      await store.insert(records(phase.filters));
      inserts++;
    }
    const seconds = (performance.now() - t0) / 1000;
    const [q1, cpu1] = [queries, cpuSeconds('self')];
    // Every tail gets one record per insert; wait (bounded) for the last ones before reading the latencies.
    const expected = inserts * phase.tails;
    let report = await ask<{ delivered: number; duplicates: number; latency: Summary }>({ cmd: 'report' }, 'report');
    for (const deadline = Date.now() + 60_000; report.delivered < expected && Date.now() < deadline;) {
      await new Promise((r) => setTimeout(r, 200));
      report = await ask({ cmd: 'report' }, 'report');
    }
    const result = {
      ...phase,
      queriesPerS: round((q1 - q0) / seconds),
      cpuPct: round(((cpu1 - cpu0) / seconds) * 100),
      delivered: report.delivered,
      expected,
      duplicates: report.duplicates,
      latency: report.latency,
      load: load(),
    };
    results.push(result);
    console.log(JSON.stringify(result));
  }
  await ask({ cmd: 'close' }, 'closed');
  clients.kill();
  await app.close();
  await transport.close();
  rmSync(dir, { recursive: true, force: true });
  for (const r of results) assert.equal(r.duplicates, 0, `${r.tails} tails: records delivered twice`);

  // A "before" run checks out an older services/query/src over this commit: the diff says so.
  const commit = execFileSync('git', ['rev-parse', '--short', 'HEAD'], { encoding: 'utf8' }).trim();
  const changed = execFileSync('git', ['status', '--porcelain', 'services/query/src'], { encoding: 'utf8' }).trim();
  writeFileSync(
    `bench/results/tail-${label}.json`,
    JSON.stringify({ label, at: new Date().toISOString(), commit, changed, machine: machine(), results }, null, 2) +
      '\n',
  );
}

// The summary table of every labelled run kept in bench/results.
function writeSummary(): void {
  const runs = readdirSync('bench/results')
    .filter((f) => /^tail-.+\.json$/.test(f))
    .sort()
    .map(
      (f) =>
        JSON.parse(readFileSync(join('bench/results', f), 'utf8')) as { label: string; at: string; results: Result[] },
    );
  const rows = runs.flatMap((run) =>
    run.results.map(
      (r) =>
        `| ${run.label} | ${r.tails} | ${r.filters} | ${r.queriesPerS} | ${r.cpuPct} | ${r.latency.n ? r.latency.p50 : '–'} | ${r.latency.n ? r.latency.p99 : '–'} | ${r.delivered}/${r.expected} | ${r.load.join(' / ')} |`,
    ),
  );
  writeFileSync(
    'bench/results/tail.md',
    `# Live tail: 0 to 1,000 tails

\`make bench-tail\` (\`node bench/tail.ts <label>\`): the query service and chdb in one process, tails from another process
(auth off, one tenant), each \`service:svc-<i % filters>\`; for ${WINDOW_MS / 1000} s per phase one record per filter is stored
every ${INSERT_EVERY_MS} ms (store.insert, as the processor writes), each carrying the time it was sent. Store queries are
counted on the transport below the real store; CPU is the server process's (user + system, every thread, chdb's
inserts included: the 0-tail row is that baseline); latency is from before the insert to the tail's receipt, over
every delivery. Tail poll every 250 ms (the default). A run labelled before-<commit> is that commit's
services/query/src (a poll per tail) over this commit's store and bench.

| run | tails | filters | store queries/s | server CPU % | latency p50 ms | p99 ms | delivered/expected | load (1/5/15 min) |
|---|---:|---:|---:|---:|---:|---:|---:|---|
${rows.join('\n')}
`,
  );
}
