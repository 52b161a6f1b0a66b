// Histogram over 24 h from the logs vs from the per-minute rollup (migration 2), on a chdb store of a
// version 1 database upgraded in place: 300k generated records spread over the day, multiplied to
// 3M distinct ones inside ClickHouse (fresh ids, shifted times), then migrate() backfills the rollup.
// Usage: node bench/histogram-rollup.ts [out.json]  (also rewrites bench/results/histogram-rollup.md)
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createChdbTransport, createLogStore, migrate, ROLLUP_TABLE, type LogFilter } from '@instant-logs/store';
import { spreadRecords, storedLines } from './lib/records.ts';
import { load, round, summarize } from './lib/stats.ts';
import { withoutConditionCache } from './lib/in-process.ts';

const [out = 'bench/results/histogram-rollup.json'] = process.argv.slice(2);
const REAL = 300_000;
const COPIES = 10;
const WARM_RUNS = 15;
const DAY_MS = 86_400_000;
const toMs = Date.now();
const fromMs = toMs - DAY_MS;

const dir = mkdtempSync(join(tmpdir(), 'histogram-rollup-'));
const transport = createChdbTransport({ path: dir });
await migrate(transport, 'seed', 1);
const seed = createLogStore(transport, 'seed');
const msOf = (t: string | number) => (typeof t === 'number' ? t : Date.parse(t));
for (const records of spreadRecords(REAL, 50_000, 2024, fromMs, toMs)) {
  await seed.insert(storedLines(records, msOf(records.at(-1)!.timestamp) + 1000).join('\n'));
}

// A version 1 database of 3M records, as today's schema writes it: copies shifted by a fraction of
// the spacing between real records, each with a fresh id.
await migrate(transport, 'hist', 1);
const spacingUs = Math.floor((DAY_MS * 1000) / REAL / COPIES);
const cols = 'tenant, service, level, severity_text, severity_number, body, attributes, resource, trace_id, span_id';
await transport.command(
  `INSERT INTO hist.logs (timestamp, observed_timestamp, id, ${cols})
   SELECT timestamp + toIntervalMicrosecond(k * ${spacingUs}), observed_timestamp + toIntervalMicrosecond(k * ${spacingUs}),
          if(k = 0, id, toString(generateUUIDv4(k))), ${cols}
   FROM seed.logs ARRAY JOIN range(${COPIES}) AS k SETTINGS max_insert_threads = 2`,
);
await transport.command('DROP DATABASE seed');
await transport.command('OPTIMIZE TABLE hist.logs FINAL');
const [{ n: records } = { n: '0' }] = await transport.query<{ n: string }>('SELECT count() AS n FROM hist.logs');

const t0 = performance.now();
const { applied } = await migrate(transport, 'hist');
const upgradeS = (performance.now() - t0) / 1000;
assert.deepEqual(applied, [2]);
const [rollup] = await transport.query<{ rows: string; n: string }>(
  `SELECT count() AS rows, sum(records) AS n FROM hist.${ROLLUP_TABLE}`,
);
assert.equal(rollup!.n, records);

const store = createLogStore(withoutConditionCache(transport), 'hist');
const filter = (over: Partial<LogFilter> = {}): LogFilter => ({
  tenant: 'default',
  fromNs: BigInt(fromMs) * 1_000_000n + 123n,
  toNs: BigInt(toMs) * 1_000_000n,
  services: [],
  levels: [],
  query: null,
  ...over,
});
const [{ service: someService } = { service: '' }] = await transport.query<{ service: string }>(
  'SELECT service FROM hist.logs LIMIT 1',
);
const CASES = [
  { name: '24 h, 60 buckets (30 min)', filter: filter(), buckets: 60 },
  { name: '24 h, 1440 buckets (1 min)', filter: filter(), buckets: 1440 },
  {
    name: `24 h, 60 buckets, service ${someService}, levels warn+error`,
    filter: filter({ services: [someService], levels: ['warn', 'error'] }),
    buckets: 60,
  },
];

const timed = async (run: () => Promise<unknown>) => {
  await run();
  await run();
  const ms: number[] = [];
  for (let i = 0; i < WARM_RUNS; i++) {
    const t = performance.now();
    await run();
    ms.push(performance.now() - t);
  }
  return summarize(ms);
};
const results = [];
for (const c of CASES) {
  const fromLogs = await store.histogram(c.filter, c.buckets, { source: 'logs' });
  assert.deepEqual(await store.histogram(c.filter, c.buckets), fromLogs);
  const logs = await timed(() => store.histogram(c.filter, c.buckets, { source: 'logs' }));
  const roll = await timed(() => store.histogram(c.filter, c.buckets));
  results.push({
    name: c.name,
    intervalMs: fromLogs.interval_ms,
    logsMs: logs,
    rollupMs: roll,
    speedup: round(logs.p50 / roll.p50, 1),
    load: load(),
  });
}

// What the view adds to each insert: the same distinct rows into a version 1 and a version 2
// database, alternating so other load falls on both alike, merges stopped so only inserts are timed.
await migrate(transport, 'ins1', 1);
await migrate(transport, 'ins2');
await transport.command('SYSTEM STOP MERGES');
const insertCost = [];
for (const [rows, reps] of [
  [1_000, 20],
  [10_000, 6],
] as const) {
  const ms: Record<'v1' | 'v2', number[]> = { v1: [], v2: [] };
  const batches = spreadRecords(2 * reps * rows, rows, 7, toMs - 3_600_000, toMs);
  for (let i = 0; i < 2 * reps; i++) {
    const version = i % 2 === 0 ? 'v1' : 'v2';
    const records = batches.next().value!;
    const lines = storedLines(records, msOf(records.at(-1)!.timestamp) + 1000).join('\n');
    const t = performance.now();
    await createLogStore(transport, version === 'v1' ? 'ins1' : 'ins2').insert(lines);
    ms[version].push(performance.now() - t);
  }
  const stats = (x: number[]) => ({ ...summarize(x), min: round(Math.min(...x)) });
  insertCost.push({ rows, reps, v1Ms: stats(ms.v1), v2Ms: stats(ms.v2), load: load() });
}
await transport.close();
rmSync(dir, { recursive: true, force: true });

const report = {
  date: new Date().toISOString(),
  records: Number(records),
  rollupRows: Number(rollup!.rows),
  upgradeS: round(upgradeS, 2),
  warmRuns: WARM_RUNS,
  results,
  insertCost,
  load: load(),
};
writeFileSync(out, JSON.stringify(report, null, 2) + '\n');
const ms = (s: { p50: number }) => round(s.p50, 1);
writeFileSync(
  'bench/results/histogram-rollup.md',
  `# Histogram over 24 h: logs vs per-minute rollup

\`node bench/histogram-rollup.ts\` at ${report.date}, chdb in-process, ${report.records.toLocaleString('en')} distinct generated records
over 24 h in one tenant (300k from the sample shop's generator, each copied ${COPIES - 1} times inside ClickHouse with a fresh id
and a shifted time), stored by schema version 1 and merged to one part a day, then upgraded in place by \`migrate()\`: version 2
created the rollup and backfilled it in ${report.upgradeS} s (${report.rollupRows.toLocaleString('en')} rollup rows). Each histogram
is checked equal on both paths first; then ${WARM_RUNS} warm runs each after two discarded ones, query condition cache off.
The range starts 123 ns after a whole millisecond, so both edge minutes are partly covered and read from the logs.

| histogram | logs p50 ms | rollup p50 ms | logs / rollup | load (1/5/15 min) |
|---|---:|---:|---:|---|
${results.map((r) => `| ${r.name} | ${ms(r.logsMs)} | ${ms(r.rollupMs)} | ${r.speedup}× | ${r.load.join(' / ')} |`).join('\n')}

What the view adds to an insert of distinct rows (\`store.insert\`, merges stopped, version 1 and 2 alternating):

| rows/insert | reps | version 1 p50 (min) ms | version 2 p50 (min) ms | load (1/5/15 min) |
|---|---:|---:|---:|---|
${insertCost.map((c) => `| ${c.rows.toLocaleString('en')} | ${c.reps} | ${ms(c.v1Ms)} (${c.v1Ms.min}) | ${ms(c.v2Ms)} (${c.v2Ms.min}) | ${c.load.join(' / ')} |`).join('\n')}

On 2 shared cores with other work running: the load column is the machine's, not this process's.
`,
);
console.log(JSON.stringify(report, null, 2));
