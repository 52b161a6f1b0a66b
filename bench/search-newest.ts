// "Last N" searches (issue 10) on distinct generated records in chdb: one query over the range
// against newest-first windows, without and with top-K dynamic filtering, warm medians (ms). The
// data is built once into <dir> and reused.
// Usage: node bench/search-newest.ts <chdb dir> [records=2000000] [runs=9] [span hours=24]
import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import { loadavg } from 'node:os';
import { parseQuery } from '@instant-logs/query-language';
import { formatTimestamp } from '@instant-logs/schema';
import { createChdbTransport, createLogStore } from '@instant-logs/store';
import type { ClickHouseTransport, LogFilter, LogStore, SqlParams } from '@instant-logs/store';
import { COMMON_WORD, RARE_WORD, yardBodies, type YardFacts } from './lib/yard-records.ts';
import { median, round } from './lib/stats.ts';
import { withoutConditionCache } from './lib/in-process.ts';

const [dir, recordsArg = '2000000', runsArg = '9', hoursArg = '24'] = process.argv.slice(2);
if (!dir) throw new Error('Usage: node bench/search-newest.ts <chdb dir> [records] [runs]');
const PER_BODY = 10_000;
const SPAN_MS = Number(hoursArg) * 3_600_000; // a day by default, as "last 100 over the last 24 h" asks

const transport = createChdbTransport({ path: dir });
const noCache = withoutConditionCache(transport);
// As a server without top-K dynamic filtering answers the store's probe: the SQL main sent.
const noProbe: ClickHouseTransport = {
  ...noCache,
  query: async <T>(sql: string, params?: SqlParams) =>
    sql.includes('system.settings') ? ([{ n: '0' }] as T[]) : noCache.query<T>(sql, params),
};
interface IngestLine {
  timestamp: string;
  service: string;
  level: string;
  message: string;
  attributes: Record<string, unknown>;
}

const factsFile = `${dir}/facts.json`;
let facts: YardFacts;
if (existsSync(factsFile)) {
  facts = JSON.parse(readFileSync(factsFile, 'utf8')) as YardFacts;
} else {
  const store = createLogStore(transport, 'newest');
  await store.migrate();
  const toMs = Math.floor(Date.now() / 60_000) * 60_000;
  const built = yardBodies(Math.ceil(Number(recordsArg) / PER_BODY), PER_BODY, 10, toMs - SPAN_MS, toMs);
  let n = 0;
  for (const body of built.bodies) {
    // Ingest lines to stored records; the request id is also an attribute, for an attribute needle.
    const rows = body
      .toString('utf8')
      .trim()
      .split('\n')
      .map((line) => {
        const r = JSON.parse(line) as IngestLine;
        const attributes = Object.fromEntries(Object.entries(r.attributes).map(([k, v]) => [k, String(v)]));
        attributes['request_id'] = /request (req[0-9a-f]+)/.exec(r.message)![1]!;
        const ts = formatTimestamp(BigInt(Date.parse(r.timestamp)) * 1_000_000n);
        return JSON.stringify({
          id: `r${String(n++).padStart(9, '0')}`,
          tenant: 'default',
          timestamp: ts,
          observed_timestamp: ts,
          service: r.service,
          level: r.level,
          severity_text: r.level.toUpperCase(),
          severity_number: 9,
          body: r.message,
          attributes,
          resource: {},
          trace_id: '',
          span_id: '',
        });
      });
    await store.insert(rows.join('\n'));
  }
  await transport.command('OPTIMIZE TABLE newest.logs FINAL');
  facts = built.facts;
  writeFileSync(factsFile, JSON.stringify(facts));
}

const filter = (q: string, services: string[] = [], levels: string[] = []): LogFilter => ({
  tenant: 'default',
  fromNs: BigInt(facts.fromMs) * 1_000_000n,
  toNs: BigInt(facts.toMs) * 1_000_000n,
  services,
  levels,
  query: parseQuery(q),
});
const cases: [string, LogFilter, number][] = [
  [`common word "${COMMON_WORD}"`, filter(COMMON_WORD), Math.min(100, facts.commonMatches)],
  [`rare word "${RARE_WORD}"`, filter(RARE_WORD), Math.min(100, facts.rareMatches)],
  ['needle: request id in the message', filter(facts.needle), 1],
  ['needle: request_id attribute', filter(`request_id:${facts.needle}`), 1],
  ['service payments, level error', filter('', ['payments'], ['error']), Math.min(100, facts.paymentsErrors)],
];
const now = () => BigInt(facts.toMs) * 1_000_000n;
const stores = {
  // What main sent: one query over the whole range.
  before: createLogStore(noProbe, 'newest', { windows: { growth: 1, maxWindows: 1 } }),
  windows: createLogStore(noProbe, 'newest', { now }),
  // This branch: windows, and top-K dynamic filtering off where the server has it (this one does).
  after: createLogStore(noCache, 'newest', { now }),
};
const runs = Number(runsArg);

/** A row per case: each store's warm median (ms) of `runs` searches after 2 unmeasured; a wrong count throws. */
async function timeCases(of: Record<string, LogStore>, list: [string, LogFilter, number][]): Promise<void> {
  console.log(`| query | ${Object.keys(of).join(' | ')} |`);
  for (const [name, f, expected] of list) {
    const ms: number[] = [];
    for (const [kind, store] of Object.entries(of)) {
      const times: number[] = [];
      for (let i = 0; i < runs + 2; i++) {
        const t = performance.now();
        const got = (await store.search(f, { limit: 100 })).records.length;
        if (got !== expected) throw new Error(`${name} (${kind}): ${got} records, expected ${expected}`);
        if (i >= 2) times.push(performance.now() - t);
      }
      ms.push(round(median(times)));
    }
    console.log(`| ${name} | ${ms.join(' | ')} |`);
  }
}

await timeCases(stores, cases);
// A search whose newest records are older than its first window: the service stopped logging half an
// hour ago. Windows that widen after a miss find the page in the second window; the whole range is
// what one query reads.
const STALE_MS = 30 * 60_000;
const staleNow = BigInt(facts.toMs + STALE_MS) * 1_000_000n;
const stale = (q: string, services: string[] = [], levels: string[] = []): LogFilter => ({
  ...filter(q, services, levels),
  fromNs: staleNow - BigInt(SPAN_MS) * 1_000_000n,
  toNs: staleNow,
});
const staleCases: [string, LogFilter, number][] = [
  [`common word "${COMMON_WORD}"`, stale(COMMON_WORD), Math.min(100, facts.commonMatches)],
  [`rare word "${RARE_WORD}"`, stale(RARE_WORD), Math.min(100, facts.rareMatches)],
  ['a word found nowhere', stale('zebrafish'), 0],
  ['service payments, level error', stale('', ['payments'], ['error']), Math.min(100, facts.paymentsErrors)],
];
const staleStores = {
  'one query': createLogStore(noCache, 'newest', { windows: { growth: 1, maxWindows: 1 } }),
  windows: createLogStore(noCache, 'newest', { now: () => staleNow }),
};
console.log(`\nNewest records ${STALE_MS / 60_000} min before now, the range the ${hoursArg} h up to now:`);
await timeCases(staleStores, staleCases);
const load = loadavg()
  .map((x) => x.toFixed(2))
  .join(' ');
console.log(`${facts.records} records over ${hoursArg} h, ${runs} warm runs each, load ${load}`);
await transport.close();
