// A request id searched in a table as a server leaves it: the yardstick's records inserted through the
// store in 50k-row batches with merges running, until no merge runs, then the search timed with the parts'
// bloom filters as inserts and merges built them, and again once every part has the message's filter.
// Usage: node bench/fresh-parts-needle.ts <empty chdb dir> [records=2850000]
import { parseQuery } from '@instant-logs/query-language';
import { createChdbTransport, createLogStore } from '@instant-logs/store';
import { normalisedRecords, queuedBatches, withoutConditionCache } from './lib/in-process.ts';
import { yardBodies } from './lib/yard-records.ts';
import { median, round, load } from './lib/stats.ts';

const [dir, recordsArg = '2850000'] = process.argv.slice(2);
if (!dir) throw new Error('Usage: node bench/fresh-parts-needle.ts <empty chdb dir> [records]');
const transport = createChdbTransport({ path: dir });
const store = createLogStore(withoutConditionCache(transport), 'needle');
await store.migrate();
const toMs = Date.now();
const fromMs = toMs - 3_600_000;
const { bodies, facts } = yardBodies(Number(recordsArg) / 1000, 1000, 10, fromMs, toMs);
const t0 = performance.now();
for (const batch of queuedBatches(normalisedRecords(bodies, toMs, 3), 50_000)) await store.insert(batch);
console.log(`inserted in ${round((performance.now() - t0) / 1000)} s`);
let quiet = 0;
while (quiet < 8) {
  const [m] = await transport.query<{ n: string }>(`SELECT count() AS n FROM system.merges WHERE database = 'needle'`);
  quiet = Number(m!.n) === 0 ? quiet + 1 : 0;
  await new Promise((r) => setTimeout(r, 250));
}
const parts = await transport.query<{ rows: string; level: string }>(
  `SELECT rows, level FROM system.parts WHERE database = 'needle' AND table = 'logs' AND active ORDER BY modification_time`,
);
console.log('parts', parts.map((p) => `${p.rows}@L${p.level}`).join(' '));
const f = {
  tenant: 'default',
  fromNs: BigInt(fromMs) * 1_000_000n,
  toNs: BigInt(toMs) * 1_000_000n,
  services: [],
  levels: [],
  query: parseQuery(facts.needle),
};
const time = async (label: string) => {
  const times: number[] = [];
  for (let i = 0; i < 13; i++) {
    const t = performance.now();
    const page = await store.search(f, { limit: 100 });
    if (page.records.length !== 1) throw new Error('wrong answer');
    if (i >= 2) times.push(performance.now() - t);
  }
  console.log(`${label}: median ${round(median(times))} ms (min ${round(Math.min(...times))})`);
};
const explain = async () => {
  const rows = await transport.query<{ explain: string }>(
    `EXPLAIN indexes = 1 SELECT id FROM needle.logs WHERE hasToken(lower(body), {t:String})`,
    { t: facts.needle.toLowerCase() },
  );
  console.log(
    rows
      .map((r) => r.explain)
      .filter((l) => /Name|Granules|Parts/.test(l))
      .join('\n'),
  );
};
await explain();
await time('as inserted and merged');
await transport.command(`ALTER TABLE needle.logs MATERIALIZE INDEX idx_body_tokens SETTINGS mutations_sync = 2`);
await explain();
await time('with the bloom filter in every part');
console.log('load', load().join(' '));
await transport.close();
