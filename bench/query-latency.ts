// Phase 3 (queries): search and histogram latency on the 10M-row table that query-data.ts built,
// in a fresh process so the first run of each query meets empty ClickHouse caches (the OS page
// cache stays warm). Usage: node bench/query-latency.ts <chdb dir> <query-data.json> <out.json>
import { readFileSync, writeFileSync } from 'node:fs';
import { parseQuery } from '@instant-logs/query-language';
import {
  chooseInterval,
  createChdbTransport,
  createLogStore,
  type LogFilter,
  type SqlParams,
} from '@instant-logs/store';
import { load, round, summarize } from './lib/stats.ts';
import { withoutConditionCache } from './lib/in-process.ts';

const [dir, dataFile, out = '/tmp/query-latency.json'] = process.argv.slice(2);
if (!dir || !dataFile) throw new Error('Usage: node bench/query-latency.ts <chdb dir> <query-data.json> <out.json>');
const { fromMs, toMs } = JSON.parse(readFileSync(dataFile, 'utf8')) as { fromMs: number; toMs: number };
const WARM_RUNS = 10;
const RARE = 'breaker'; // payments errors: "Charge rejected for ord_…: circuit breaker open for stripe"
const COMMON = 'GET'; // every gateway access line

const transport = createChdbTransport({ path: dir });
const stores = {
  // Warm runs must not be answered from the query condition cache, which remembers the granules
  // a WHERE clause ruled out; one run with it on (the default) is reported apart.
  noCache: createLogStore(withoutConditionCache(transport), 'big10m'),
  cacheOn: createLogStore(transport, 'big10m'),
};
const filter = (q: string | null, windowMs = toMs - fromMs): LogFilter => ({
  tenant: 'default',
  fromNs: BigInt(toMs - windowMs) * 1_000_000n,
  toNs: BigInt(toMs) * 1_000_000n,
  services: [],
  levels: [],
  query: q === null ? null : parseQuery(q),
});

type Store = (typeof stores)['noCache'];
const QUERIES: { name: string; run: (s: Store) => Promise<unknown> }[] = [
  { name: `last 100 matching a rare term ("${RARE}"), 24 h`, run: (s) => s.search(filter(RARE), { limit: 100 }) },
  { name: `last 100 matching a common term ("${COMMON}"), 24 h`, run: (s) => s.search(filter(COMMON), { limit: 100 }) },
  { name: 'volume by level, 24 h in 60 buckets', run: (s) => s.histogram(filter(null), 60) },
  { name: `last 100 matching "${RARE}", last 15 min`, run: (s) => s.search(filter(RARE, 15 * 60_000), { limit: 100 }) },
  {
    name: 'last 100 of service:payments level:error, 24 h',
    run: (s) => s.search(filter('service:payments level:error'), { limit: 100 }),
  },
];

const timed = async (fn: () => Promise<unknown>) => {
  const t0 = performance.now();
  await fn();
  return performance.now() - t0;
};

// First runs in order, each meeting whatever the earlier ones left in the caches.
const cold: number[] = [];
for (const q of QUERIES) cold.push(round(await timed(() => q.run(stores.noCache))));
const results = [];
for (const [i, q] of QUERIES.entries()) {
  const warm: number[] = [];
  for (let r = 0; r < WARM_RUNS; r++) warm.push(await timed(() => q.run(stores.noCache)));
  const cached: number[] = [];
  for (let r = 0; r < WARM_RUNS; r++) cached.push(await timed(() => q.run(stores.cacheOn)));
  results.push({
    name: q.name,
    coldMs: cold[i]!,
    warmMs: summarize(warm),
    warmWithConditionCacheMs: summarize(cached).p50,
  });
}

// Variant: the same histogram from a per-minute rollup, the table a materialized view would keep
// up to date on insert (bench-only SQL; minute-aligned edges, so the first and last minute are approximate).
const t0 = performance.now();
await transport.command(
  `CREATE TABLE big10m.volume_by_minute (tenant LowCardinality(String), minute DateTime('UTC'), service LowCardinality(String), level LowCardinality(String), n UInt64)
   ENGINE = SummingMergeTree ORDER BY (tenant, minute, service, level)`,
);
await transport.command(
  `INSERT INTO big10m.volume_by_minute SELECT tenant, toStartOfMinute(timestamp), service, level, count() FROM big10m.logs GROUP BY ALL`,
);
const populateS = round((performance.now() - t0) / 1000);
const step = chooseInterval(toMs - fromMs, 60);
const rollup = () =>
  transport.query(
    `SELECT intDiv(toUnixTimestamp(minute) * 1000, {step:UInt64}) * {step:UInt64} AS bucket, level, sum(n) AS n FROM big10m.volume_by_minute
     WHERE tenant = 'default' AND minute >= toStartOfMinute(fromUnixTimestamp64Milli({from:Int64}, 'UTC')) AND minute <= fromUnixTimestamp64Milli({to:Int64}, 'UTC')
     GROUP BY bucket, level ORDER BY bucket SETTINGS use_query_condition_cache = 0`,
    { step, from: fromMs, to: toMs },
  );
const rollupCold = await timed(rollup);
const rollupWarm: number[] = [];
for (let r = 0; r < WARM_RUNS; r++) rollupWarm.push(await timed(rollup));
const [rollupRows] = await transport.query<{ n: string }>(`SELECT count() AS n FROM big10m.volume_by_minute`);
const histogramFromRollup = {
  coldMs: round(rollupCold),
  warmMs: summarize(rollupWarm),
  rollupRows: Number(rollupRows!.n),
  populateS,
};

const count = async (where: string, params: SqlParams) =>
  Number((await transport.query<{ n: string }>(`SELECT count() AS n FROM big10m.logs WHERE ${where}`, params))[0]!.n);
const matches = {
  rows: await count('1', {}),
  rare: await count('hasToken(lower(body), {t:String})', { t: RARE.toLowerCase() }),
  common: await count('hasToken(lower(body), {t:String})', { t: COMMON.toLowerCase() }),
};
await transport.close();
writeFileSync(
  out,
  JSON.stringify(
    { queries: results, histogramFromRollup, matches, windowHours: (toMs - fromMs) / 3_600_000, load: load() },
    null,
    2,
  ),
);
