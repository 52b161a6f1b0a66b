// The yardstick's five questions asked in-process (store.search / store.histogram) of databases that
// bench/disk-per-record.ts left in <dir>, one run of each database in turn so other load on the
// machine falls on each alike; warm medians in ms, each answer checked against the generator's facts.
// Usage: node bench/disk-queries.ts <chdb dir> <facts.json> <db,db,…> [runs=11]
import { readFileSync } from 'node:fs';
import { parseQuery } from '@instant-logs/query-language';
import {
  createChdbTransport,
  createLogStore,
  MESSAGE_WORDS,
  type ClickHouseTransport,
  type LogFilter,
  type SqlParams,
} from '@instant-logs/store';
import { COMMON_WORD, RARE_WORD, type YardFacts } from './lib/yard-records.ts';
import { load, median, round } from './lib/stats.ts';
import { withoutConditionCache } from './lib/in-process.ts';

const [dir, factsFile, dbsArg, runsArg = '11'] = process.argv.slice(2);
if (!dir || !factsFile || !dbsArg)
  throw new Error('Usage: node bench/disk-queries.ts <chdb dir> <facts.json> <db,db,…> [runs]');
const facts = (JSON.parse(readFileSync(factsFile, 'utf8')) as { facts: YardFacts }).facts;
const transport = createChdbTransport({ path: dir });
const noCache = withoutConditionCache(transport);
// A database still on schema 2 has no words index: it is asked what main asked, a word as a token of lower(body).
const asBefore: ClickHouseTransport = {
  ...noCache,
  query: <T>(sql: string, params?: SqlParams) => noCache.query<T>(sql.replaceAll(MESSAGE_WORDS, 'lower(body)'), params),
};
const words = new Set(
  (
    await transport.query<{ database: string }>(
      `SELECT database FROM system.data_skipping_indices WHERE name = 'idx_words'`,
    )
  ).map((r) => r.database),
);
const via = (db: string) => (words.has(db) ? noCache : asBefore);
const [first] = await transport.query<{ lo: string; hi: string }>(
  `SELECT toString(toUnixTimestamp64Nano(min(timestamp))) AS lo, toString(toUnixTimestamp64Nano(max(timestamp))) AS hi FROM ${dbsArg.split(',')[0]}.logs`,
);
const range = { fromNs: BigInt(first!.lo), toNs: BigInt(first!.hi) };
const now = () => range.toNs;
const filter = (q: string, services: string[] = [], levels: string[] = []): LogFilter => ({
  tenant: 'default',
  ...range,
  services,
  levels,
  query: q ? parseQuery(q) : null,
});
type Case = { name: string; run: (db: string) => Promise<number>; expected: number };
const search = (name: string, f: LogFilter, expected: number): Case => ({
  name,
  expected,
  run: async (db) => (await createLogStore(via(db), db, { now }).search(f, { limit: 100 })).records.length,
});
const cases: Case[] = [
  search(
    `last 100 matching a rare word ("${RARE_WORD}", ${facts.rareMatches} matches)`,
    filter(RARE_WORD),
    Math.min(100, facts.rareMatches),
  ),
  search(`last 100 matching a common word ("${COMMON_WORD}")`, filter(COMMON_WORD), 100),
  search(`one request id in ${facts.records} records (needle)`, filter(facts.needle), 1),
  {
    name: 'count by level over the whole range (from the logs, not the rollup)',
    expected: facts.records,
    run: async (db) => {
      const h = await createLogStore(via(db), db).histogram(filter(''), 1, { source: 'logs' });
      return h.buckets.reduce((n, b) => n + Object.values(b.counts).reduce((a, c) => a + c, 0), 0);
    },
  },
  search(
    'last 100 of service payments, level error',
    filter('', ['payments'], ['error']),
    Math.min(100, facts.paymentsErrors),
  ),
];
const dbs = dbsArg.split(',');
const runs = Number(runsArg);
const loadBefore = load();
console.log(`| query | ${dbs.join(' | ')} |\n|---|${dbs.map(() => '---:').join('|')}|`);
for (const c of cases) {
  const times = new Map(dbs.map((db) => [db, [] as number[]]));
  for (let i = 0; i < runs + 2; i++) {
    for (const db of dbs) {
      const t = performance.now();
      const got = await c.run(db);
      const dt = performance.now() - t;
      if (got !== c.expected) throw new Error(`${c.name} on ${db}: ${got}, expected ${c.expected}`);
      if (i >= 2) times.get(db)!.push(dt);
    }
  }
  console.log(`| ${c.name} | ${dbs.map((db) => round(median(times.get(db)!))).join(' | ')} |`);
}
console.log(
  `${facts.records} records, median of ${runs} warm runs, load ${loadBefore.join(' ')} before, ${load().join(' ')} after`,
);
await transport.close();
