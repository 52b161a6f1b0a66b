// Phase 5b: what a chdb insert costs and which part of the schema or settings costs most, apart
// from HTTP and the collector's JS. Usage: node bench/insert-cost.ts <out.json>
import { randomUUID } from 'node:crypto';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Session } from 'chdb';
import { normalizeRecord, nowNs } from '@instant-logs/schema';
import { createChdbTransport, createLogStore, migrate } from '@instant-logs/store';
import { liveRecords } from './lib/records.ts';
import { cpuSeconds, load, median, round } from './lib/stats.ts';

const [out = '/tmp/insert-cost.json'] = process.argv.slice(2);
const dir = mkdtempSync(join(tmpdir(), 'idl-bench-insert-'));
const transport = createChdbTransport({ path: dir });
// The transport's own connection arguments and insert settings, so variants differ only where named.
const connect = () =>
  new Session(dir, { connectionArgs: ['--output_format_json_quote_64bit_integers=1', '--async_insert=0'] });
const BASE_SETTINGS = { async_insert: 0, date_time_input_format: 'best_effort' };

const records = liveRecords(100_000, 5);
const ndjson = records.map((r) => JSON.stringify(r));

/** The collector's per-record JS work (decode, normalise, serialise), in µs of wall and CPU time per record. */
function jsCost() {
  const ctx = { tenant: 'default', receivedNs: nowNs(), newId: randomUUID };
  const steps = {
    parse: () => ndjson.map((l) => JSON.parse(l) as unknown),
    normalize: (parsed: unknown[]) => parsed.map((p) => normalizeRecord(p, ctx)),
    stringify: (normalized: ReturnType<typeof normalizeRecord>[]) =>
      normalized.map((n) => (n.ok ? JSON.stringify(n.record) : '')),
  };
  const timed = <T>(fn: () => T): [T, { wallUs: number; cpuUs: number }] => {
    const c0 = cpuSeconds('self');
    const t0 = performance.now();
    const value = fn();
    const per = (x: number) => round((x * 1e6) / ndjson.length, 2);
    return [value, { wallUs: per((performance.now() - t0) / 1000), cpuUs: per(cpuSeconds('self') - c0) }];
  };
  steps.stringify(steps.normalize(steps.parse())); // warm up the JIT
  const [parsed, parse] = timed(steps.parse);
  const [normalized, normalize] = timed(() => steps.normalize(parsed));
  const [lines, stringify] = timed(() => steps.stringify(normalized));
  return { lines, perRecord: { parse, normalize, stringify } };
}

const js = jsCost();
const lines = js.lines;
const avgLineBytes = Math.round(lines.reduce((n, l) => n + l.length + 1, 0) / lines.length);
let offset = 0;
/** The next `n` distinct stored lines as `parts` JSONEachRow payloads (built before the clock starts). */
const payload = (n: number, parts = 1, rewrite?: (s: string) => string): Buffer[] => {
  if (offset + n > lines.length) offset = 0;
  const start = offset;
  offset += n;
  return Array.from({ length: parts }, (_, j) => {
    const text = lines.slice(start + (j * n) / parts, start + ((j + 1) * n) / parts).join('\n');
    return Buffer.from(rewrite ? rewrite(text) : text);
  });
};

interface Timing {
  rows: number;
  reps: number;
  medianMs: number;
  minMs: number;
  rowsPerS: number;
  cpuUsPerRow: number;
}

interface Case {
  name: string;
  insert: (data: Buffer[]) => Promise<unknown>;
  rewrite?: ((s: string) => string) | undefined;
  /** Payloads per insert round; the insert writes them in parallel. */
  parts?: number;
}

/**
 * Times every case `reps` times at `rows` rows per insert, round-robin, so that load from other
 * processes on this shared machine falls on all cases alike. Median and min wall time; CPU is the
 * process total over all runs (the kernel counts it in 10 ms ticks, too coarse for one small insert).
 */
async function interleaved(cases: Case[], rows: number, reps: number): Promise<Timing[]> {
  const walls = cases.map(() => [] as number[]);
  const cpus = cases.map(() => 0);
  for (const c of cases) await c.insert(payload(rows, c.parts, c.rewrite)); // a table's first insert pays one-off costs
  for (let r = 0; r < reps; r++) {
    for (const [i, c] of cases.entries()) {
      const data = payload(rows, c.parts, c.rewrite);
      const c0 = cpuSeconds('self');
      const t0 = performance.now();
      await c.insert(data);
      walls[i]!.push(performance.now() - t0);
      cpus[i]! += cpuSeconds('self') - c0;
    }
  }
  return cases.map((_, i) => {
    const ms = median(walls[i]!);
    return {
      rows,
      reps,
      medianMs: ms,
      minMs: round(Math.min(...walls[i]!)),
      rowsPerS: Math.round(rows / (ms / 1000)),
      cpuUsPerRow: round((cpus[i]! / reps / rows) * 1e6, 1),
    };
  });
}

/** A fresh copy of the real schema in database `db`, changed by `alter` statements (run on the empty table). */
async function table(db: string, alter: string[], extra: string[] = []): Promise<string> {
  await migrate(transport, db);
  for (const a of alter) await transport.command(`ALTER TABLE ${db}.logs ${a}`);
  for (const statement of extra) await transport.command(statement);
  await transport.command(`SYSTEM STOP MERGES ${db}.logs`);
  return `${db}.logs`;
}

async function bytesPerRow(t: string): Promise<number> {
  const [db, name] = t.split('.');
  const rows = await transport.query<{ b: string; r: string }>(
    `SELECT sum(bytes_on_disk) AS b, sum(rows) AS r FROM system.parts WHERE database = {db:String} AND table = {t:String} AND active`,
    { db: db!, t: name! },
  );
  return round(Number(rows[0]!.b) / Number(rows[0]!.r));
}

const BLOOMS = [
  'idx_body_tokens',
  'idx_attribute_keys',
  'idx_attribute_values',
  'idx_resource_keys',
  'idx_resource_values',
  'idx_trace_id',
];
const LZ4 = ['timestamp', 'observed_timestamp']
  .map((c) => `MODIFY COLUMN ${c} DateTime64(9, 'UTC') CODEC(Delta(8), LZ4)`)
  .concat(
    ['id', 'body', 'trace_id', 'span_id'].map((c) => `MODIFY COLUMN ${c} String CODEC(LZ4)`),
    ['attributes', 'resource'].map((c) => `MODIFY COLUMN ${c} Map(LowCardinality(String), String) CODEC(LZ4)`),
  );
// What a materialized view keeping per-minute counts for the histogram would add to every insert.
const ROLLUP = (db: string) => [
  `CREATE TABLE ${db}.volume_by_minute (tenant LowCardinality(String), minute DateTime('UTC'), service LowCardinality(String), level LowCardinality(String), n UInt64)
   ENGINE = SummingMergeTree ORDER BY (tenant, minute, service, level)`,
  `CREATE MATERIALIZED VIEW ${db}.volume_by_minute_mv TO ${db}.volume_by_minute AS
   SELECT tenant, toStartOfMinute(timestamp) AS minute, service, level, count() AS n FROM ${db}.logs GROUP BY tenant, minute, service, level`,
];
const dropAll = (names: string[]) => [names.map((n) => `DROP INDEX ${n}`).join(', ')];
// "basic" date parsing refuses the trailing Z and the T, so these lines are rewritten before timing.
const basicTimes = (s: string) =>
  s.replace(/"((?:observed_)?timestamp)":"(\d{4}-\d\d-\d\d)T([\d:.]+)Z"/g, '"$1":"$2 $3"');

const VARIANTS: {
  name: string;
  alter?: string[];
  extra?: (db: string) => string[];
  settings?: Record<string, string | number>;
  rewrite?: (s: string) => string;
}[] = [
  { name: 'current schema via Session.insert, same settings' },
  { name: 'no text index (idx_words)', alter: dropAll(['idx_words']) },
  { name: 'no bloom filters', alter: dropAll(BLOOMS) },
  { name: 'no skip indexes at all', alter: dropAll(['idx_words', ...BLOOMS]) },
  { name: 'LZ4 instead of ZSTD(1)', alter: LZ4 },
  {
    name: 'compact parts only (min_bytes_for_wide_part=1G)',
    alter: ['MODIFY SETTING min_bytes_for_wide_part = 1000000000'],
  },
  { name: 'plus a per-minute volume rollup (materialized view)', extra: (db) => ROLLUP(db) },
  { name: 'no dedup token / insert_deduplicate=0', settings: { insert_deduplicate: 0 } },
  { name: 'input_format_parallel_parsing=0', settings: { input_format_parallel_parsing: 0 } },
  {
    name: 'min_insert_block_size_rows/bytes=0',
    settings: { min_insert_block_size_rows: 0, min_insert_block_size_bytes: 0 },
  },
  { name: 'materialize_skip_indexes_on_insert=0', settings: { materialize_skip_indexes_on_insert: 0 } },
  {
    name: "date_time_input_format='basic' (lines without T/Z)",
    settings: { date_time_input_format: 'basic' },
    rewrite: basicTimes,
  },
];

// The real store.insert, as the processor calls it, at the sizes a batch may have.
const store = createLogStore(transport, 'base');
await store.migrate();
await transport.command('SYSTEM STOP MERGES base.logs');
const storeCase: Case = {
  name: 'current schema via store.insert',
  insert: (d) => store.insert(d[0]!.toString(), { dedupToken: randomUUID() }),
};
const storeInsert = [];
for (const [rows, reps] of [
  [1000, 10],
  [10_000, 5],
  [50_000, 3],
  [100_000, 2],
] as const)
  storeInsert.push(...(await interleaved([storeCase], rows, reps)));

const session = connect();
const cases: Case[] = [storeCase];
const tables: string[] = [];
for (const [i, v] of VARIANTS.entries()) {
  const t = await table(`v${i}`, v.alter ?? [], v.extra?.(`v${i}`));
  tables.push(t);
  const settings = { ...BASE_SETTINGS, ...v.settings };
  const dedup = v.settings?.insert_deduplicate !== 0;
  cases.push({
    name: v.name,
    rewrite: v.rewrite,
    insert: (d) =>
      session.insert({
        table: t,
        values: d[0]!,
        format: 'JSONEachRow',
        settings: dedup ? { ...settings, insert_deduplication_token: randomUUID() } : settings,
      }),
  });
}
const at1k = await interleaved(cases, 1000, 10);
const at10k = await interleaved(cases, 10_000, 4);
const at50k = await interleaved(cases, 50_000, 3);
const variants = [];
for (const [i, c] of cases.entries())
  variants.push({
    name: c.name,
    at1k: at1k[i],
    at10k: at10k[i],
    at50k: at50k[i],
    bytesPerRow: await bytesPerRow(i === 0 ? 'base.logs' : tables[i - 1]!),
  });
for (const t of tables) await transport.command(`DROP DATABASE ${t.split('.')[0]} SYNC`);

// A 50k-row batch written as one insert or split into k parallel inserts, each on its own session.
const split = await table('split', []);
const sessions = Array.from({ length: 4 }, connect);
const splitCase = (k: number): Case => ({
  name: `50k rows as ${k} parallel insert${k > 1 ? 's' : ''} of ${50_000 / k}`,
  parts: k,
  insert: (d) =>
    Promise.all(
      d.map((values, j) =>
        sessions[j]!.insert({
          table: split,
          values,
          format: 'JSONEachRow',
          settings: { ...BASE_SETTINGS, insert_deduplication_token: randomUUID() },
        }),
      ),
    ),
});
const splitCases = [1, 2, 4].map(splitCase);
const parallel = (await interleaved(splitCases, 50_000, 3)).map((t, i) => ({ name: splitCases[i]!.name, ...t }));

for (const s of [session, ...sessions]) s.close();
await transport.close();
rmSync(dir, { recursive: true, force: true });
writeFileSync(
  out,
  JSON.stringify(
    { avgStoredLineBytes: avgLineBytes, jsPerRecord: js.perRecord, storeInsert, variants, parallel, load: load() },
    null,
    2,
  ),
);
