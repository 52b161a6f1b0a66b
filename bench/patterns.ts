// Patterns latency: 1M distinct generated records over 24 h in a chdb store, then GET /api/v1/patterns
// on the query service (app.inject: SQL, clustering and serialisation), for every record and for a
// filtered search, with the store's sample read and the clustering timed apart. Also measures whether
// masking digits inside ClickHouse (replaceRegexpAll + GROUP BY) would make the sample cheaper.
// Usage: node bench/patterns.ts  (writes bench/results/patterns.md and .json)
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parseQuery } from '@instant-logs/query-language';
import { Patterns } from '@instant-logs/schema';
import { parseApiKeys } from '@instant-logs/service-kit';
import { createChdbTransport, createLogStore, type LogFilter } from '@instant-logs/store';
import { buildApp } from '../services/query/src/app.ts';
import { clusterMessages } from '../services/query/src/patterns/drain.ts';
import { spreadRecords, storedLines } from './lib/records.ts';
import { load, machine, round, summarize, type Summary } from './lib/stats.ts';
import { withoutConditionCache } from './lib/in-process.ts';

const RECORDS = Number(process.env['PATTERN_RECORDS'] ?? 1_000_000);
const RUNS = 10;
const DAY_MS = 86_400_000;
const toMs = Date.now();
const fromMs = toMs - DAY_MS;

const dir = mkdtempSync(join(tmpdir(), 'bench-patterns-'));
const raw = createChdbTransport({ path: dir });
const transport = withoutConditionCache(raw);
const loader = createLogStore(raw, 'bench');
await loader.migrate();
const loadStart = performance.now();
const msOf = (t: string | number) => (typeof t === 'number' ? t : Date.parse(t));
for (const records of spreadRecords(RECORDS, 50_000, 13, fromMs, toMs))
  await loader.insert(storedLines(records, msOf(records.at(-1)!.timestamp) + 1000).join('\n'));
await raw.command('OPTIMIZE TABLE bench.logs FINAL');
const loadS = round((performance.now() - loadStart) / 1000);
assert.equal(await loader.count('default'), RECORDS);
const store = createLogStore(transport, 'bench');

const app = buildApp({ store, keyring: parseApiKeys(''), logger: false });
await app.ready();
const from = new Date(fromMs).toISOString();
const to = new Date(toMs).toISOString();
const CASES = [
  { name: 'every record, 24 h, sample 10,000 (default)', params: '' },
  { name: 'every record, 24 h, sample 50,000 (max)', params: '&sample=50000' },
  { name: 'filtered: level=error, 24 h', params: '&level=error' },
  { name: 'filtered: q=cart -service:checkout, 24 h', params: `&q=${encodeURIComponent('cart -service:checkout')}` },
];

const time = async (run: () => Promise<unknown>): Promise<Summary> => {
  await run();
  await run();
  const ms: number[] = [];
  for (let i = 0; i < RUNS; i++) {
    const t = performance.now();
    await run();
    ms.push(performance.now() - t);
  }
  return summarize(ms);
};

const filterOf = (params: string): LogFilter => {
  const search = new URLSearchParams(params);
  return {
    tenant: 'default',
    fromNs: BigInt(fromMs) * 1_000_000n,
    toNs: BigInt(toMs) * 1_000_000n,
    services: [],
    levels: search.getAll('level'),
    query: parseQuery(search.get('q') ?? ''),
  };
};

const results = [];
for (const c of CASES) {
  const url = `/api/v1/patterns?from=${from}&to=${to}${c.params}`;
  const first = await app.inject({ url });
  assert.equal(first.statusCode, 200, first.body);
  const answer = Patterns.parse(first.json());
  const sample = Number(new URLSearchParams(c.params).get('sample') ?? 10_000);
  const filter = filterOf(c.params);
  const route = await time(() => app.inject({ url }));
  const read = await time(() => store.sampleMessages(filter, sample));
  const { messages } = await store.sampleMessages(filter, sample);
  const cluster = await time(async () => clusterMessages(messages.map((m) => m.body)));
  results.push({
    name: c.name,
    total: answer.total,
    sampled: answer.sampled,
    patterns: answer.patterns.length,
    other: answer.other,
    top: answer.patterns.slice(0, 3).map((p) => `${p.template} (${p.count})`),
    routeMs: route,
    sampleReadMs: read,
    clusterMs: cluster,
    load: load(),
  });
}

// The alternative: ClickHouse masks digit runs and groups, so JS clusters distinct masked messages only.
const base = `FROM bench.logs WHERE tenant = 'default' AND timestamp >= fromUnixTimestamp64Milli(${fromMs}, 'UTC')
  AND timestamp <= fromUnixTimestamp64Milli(${toMs}, 'UTC') ORDER BY timestamp DESC, id DESC LIMIT 10000`;
const plainSql = `SELECT toUnixTimestamp64Milli(timestamp) AS ms, level, body ${base}`;
const maskedSql = `SELECT replaceRegexpAll(body, '[0-9]+', '0') AS m, count() AS n, any(body) AS example
  FROM (SELECT body ${base}) GROUP BY m`;
const maskedRows = await transport.query<{ m: string; n: string }>(maskedSql);
// Interleaved, so the machine's other load falls on both alike.
const plainMs: number[] = [];
const maskedMs: number[] = [];
for (let i = 0; i < RUNS + 2; i++)
  for (const [sql, into] of [
    [plainSql, plainMs],
    [maskedSql, maskedMs],
  ] as const) {
    const t = performance.now();
    await transport.query(sql);
    if (i >= 2) into.push(performance.now() - t);
  }
const plain = summarize(plainMs);
const masked = summarize(maskedMs);
const maskedCluster = await time(async () => clusterMessages(maskedRows.map((r) => r.m)));

const machineInfo = machine();
const report = { records: RECORDS, loadS, machine: machineInfo, results, clickhouseMasking: {} as object };
report.clickhouseMasking = {
  plainReadMs: plain,
  maskedGroupedReadMs: masked,
  distinctMasked: maskedRows.length,
  clusterDistinctMs: maskedCluster,
  clusterAllMs: results[0]!.clusterMs,
};
writeFileSync('bench/results/patterns.json', `${JSON.stringify(report, null, 2)}\n`);

const row = (s: Summary) => `${s.p50} | ${s.p99}`;
const md = [
  '# Patterns latency',
  '',
  `\`make bench-patterns\` (bench/patterns.ts): ${RECORDS.toLocaleString('en')} distinct generated records (bench/lib/records.ts) over`,
  `24 h in one tenant of an in-process chdb store, merged to one part per day; loaded in ${loadS} s.`,
  `${RUNS} timed runs after 2 warm-up runs per row, query condition cache off. Milliseconds.`,
  '',
  `Machine: ${machineInfo.cpus} CPUs (${machineInfo.cpuModel}), Node ${machineInfo.node}, load average at start`,
  `${machineInfo.loadavg.join(' / ')} (1/5/15 min); shared with other work, so the p99s are noisy.`,
  '',
  '| case | total | sampled | patterns | route p50 | route p99 | sample read p50 | p99 | clustering p50 | p99 | load (1/5/15) |',
  '|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|---|',
  ...results.map(
    (r) =>
      `| ${r.name} | ${r.total} | ${r.sampled} | ${r.patterns} | ${row(r.routeMs)} | ${row(r.sampleReadMs)} | ${row(r.clusterMs)} | ${r.load.join(' / ')} |`,
  ),
  '',
  'Top patterns of the first case:',
  '',
  ...results[0]!.top.map((t) => `- \`${t}\``),
  '',
  '## Masking digits in ClickHouse instead',
  '',
  "The newest 10,000 records of the whole range (one query each, runs interleaved), read as they are vs. with `replaceRegexpAll(body, '[0-9]+', '0')`",
  'grouped in ClickHouse (so only distinct masked messages reach the clustering):',
  '',
  '| | p50 | p99 |',
  '|---|---:|---:|',
  `| read time, level, message | ${row(plain)} |`,
  `| read masked and grouped (${maskedRows.length} distinct) | ${row(masked)} |`,
  `| clustering 10,000 messages | ${row(results[0]!.clusterMs)} |`,
  `| clustering the distinct masked ones | ${row(maskedCluster)} |`,
  '',
];
writeFileSync('bench/results/patterns.md', `${md.join('\n')}\n`);
console.log(md.join('\n'));
await app.close();
await raw.close();
rmSync(dir, { recursive: true, force: true });
