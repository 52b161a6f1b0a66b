// What one insert costs whatever its size, and what part of the schema pays it: the yardstick's distinct
// records inserted through the in-process transport as the log store inserts them (spool file, plain-type
// reads, the words index, the message's and the trace id's bloom filters built on insert), in batches of 2,000
// and 20,000 rows, into fresh databases of the current schema with merges stopped. Each variant leaves out one
// thing; the variants and sizes take turns, round by round. From the CPU of an insert at the two sizes, C(n) =
// F + n·v gives the fixed cost F an insert pays and the cost v a row adds.
// Usage: node bench/insert-fixed-cost.ts [rounds=3] (writes bench/results/insert-fixed-cost.{json,md})
import { execFileSync } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { QUEUED_COLUMNS } from '@instant-logs/schema';
import { createChdbTransport, migrate, QUEUED_READ_AS, ROLLUP_TABLE } from '@instant-logs/store';
import { normalisedRecords, queuedBatches } from './lib/in-process.ts';
import { yardBodies } from './lib/yard-records.ts';
import { cpuSeconds, load, machine, machineCpuSeconds, median, round } from './lib/stats.ts';

const ROUNDS = Number(process.argv[2] ?? 3);
const SIZES: readonly number[] = [2_000, 20_000];
// Inserts a size is measured over (after one unmeasured): the same rows for every size.
const ROWS = 200_000;
// The store builds these on insert where the server can leave the others to merges (log-store.ts).
const LEFT_TO_MERGES = ['idx_attribute_keys', 'idx_attribute_values', 'idx_resource_keys', 'idx_resource_values'];
const ON_INSERT = {
  materialize_skip_indexes_on_insert: 1,
  exclude_materialize_skip_indexes_on_insert: LEFT_TO_MERGES.join(','),
};
const unsynced = (db: string) =>
  ['logs', ROLLUP_TABLE].map(
    (t) => `ALTER TABLE ${db}.${t} MODIFY SETTING fsync_after_insert = 0, fsync_part_directory = 0`,
  );
const noView = (db: string) => [`DROP VIEW ${db}.${ROLLUP_TABLE}_mv`];

const VARIANTS = {
  shipped: { label: 'as shipped', setup: (_db: string) => [] as string[], settings: ON_INSERT },
  noView: { label: 'without the per-minute rollup view', setup: noView, settings: ON_INSERT },
  unsynced: { label: 'without synced inserts (schema version 7)', setup: unsynced, settings: ON_INSERT },
  noIndexes: { label: 'without skip indexes built on insert', setup: (_db: string) => [], settings: {} },
  none: {
    label: 'none of the three',
    setup: (db: string) => [...noView(db), ...unsynced(db)],
    settings: {},
  },
} as const;
type Variant = keyof typeof VARIANTS;
const variants = Object.keys(VARIANTS) as Variant[];

const dir = mkdtempSync(join(tmpdir(), 'idl-bench-fixed-'));
const transport = createChdbTransport({ path: dir });
// Noon to noon minus an hour: one day's partition, as most inserts are (one crossing midnight writes two parts).
const toMs = Date.UTC(2026, 11, 7, 12);
const extra = Math.max(...SIZES);
const { bodies } = yardBodies((ROWS + extra) / 1000, 1000, 10, toMs - 3_600_000, toMs);
const records = [...normalisedRecords(bodies, toMs, 6.5)];
const batches = new Map(SIZES.map((n) => [n, [...queuedBatches(records, n)].slice(0, 1 + ROWS / n)]));

// ms of CPU an insert, per variant and size, one value a round: this process's, and the machine's with the
// page cache written back inside the window (an unsynced insert leaves that work to the kernel's threads).
const perInsert = new Map(variants.map((v) => [v, new Map(SIZES.map((n) => [n, [] as number[]]))]));
const perInsertMachine = new Map(variants.map((v) => [v, new Map(SIZES.map((n) => [n, [] as number[]]))]));
const loadBefore = load();
let seq = 0;
for (let r = 0; r < ROUNDS; r++)
  for (const size of r % 2 === 0 ? SIZES : [...SIZES].reverse())
    for (const variant of r % 2 === 0 ? variants : [...variants].reverse()) {
      const db = `fixed${seq++}`;
      await migrate(transport, db);
      for (const sql of VARIANTS[variant].setup(db)) await transport.command(sql);
      await transport.command(`SYSTEM STOP MERGES ${db}.logs`);
      const options = { columns: QUEUED_COLUMNS, readAs: QUEUED_READ_AS, settings: VARIANTS[variant].settings };
      const [first, ...measured] = batches.get(size)!;
      await transport.insertJsonEachRow(`${db}.logs`, first!, options);
      execFileSync('sync');
      const cpu0 = cpuSeconds('self');
      const machine0 = machineCpuSeconds();
      for (const batch of measured) await transport.insertJsonEachRow(`${db}.logs`, batch, options);
      perInsert
        .get(variant)!
        .get(size)!
        .push(((cpuSeconds('self') - cpu0) * 1e3) / measured.length);
      execFileSync('sync');
      perInsertMachine
        .get(variant)!
        .get(size)!
        .push(((machineCpuSeconds() - machine0) * 1e3) / measured.length);
      await transport.command(`DROP DATABASE ${db}`);
    }
const loadAfter = load();
await transport.close();
rmSync(dir, { recursive: true, force: true });

const [small, large] = SIZES as [number, number];
const fit = (runs: Map<number, number[]>) => {
  const at = (n: number) => median(runs.get(n)!);
  const perRowUs = ((at(large) - at(small)) / (large - small)) * 1e3;
  return {
    msPerInsert: Object.fromEntries(SIZES.map((n) => [n, round(at(n), 2)])),
    runs: Object.fromEntries(SIZES.map((n) => [n, runs.get(n)!.map((x) => round(x, 2))])),
    usPerRecord: Object.fromEntries(SIZES.map((n) => [n, round((at(n) * 1e3) / n, 2)])),
    fixedMsPerInsert: round(at(small) - (small * perRowUs) / 1e3, 1),
    usPerRow: round(perRowUs, 2),
  };
};
const results = variants.map((variant) => ({
  variant,
  label: VARIANTS[variant].label,
  process: fit(perInsert.get(variant)!),
  machine: fit(perInsertMachine.get(variant)!),
}));
const at = new Date().toISOString();
writeFileSync(
  'bench/results/insert-fixed-cost.json',
  `${JSON.stringify({ at, machine: machine(), rounds: ROUNDS, rows: ROWS, load: { before: loadBefore, after: loadAfter }, results }, null, 2)}\n`,
);
const rows = (of: 'process' | 'machine') =>
  results.map(({ label, [of]: r }) =>
    [
      `| ${label} | ${SIZES.map((n) => `${r.msPerInsert[n]} (${r.runs[n]!.join(', ')})`).join(' | ')} | `,
      `${SIZES.map((n) => r.usPerRecord[n]).join(' / ')} | ${r.fixedMsPerInsert} | ${r.usPerRow} |`,
    ].join(''),
  );
const header = [
  `| variant | ms an insert of ${SIZES.map((n) => n.toLocaleString('en')).join(' | ms an insert of ')} | `,
  `µs a record (${SIZES.map((n) => n.toLocaleString('en')).join(' / ')}) | fixed ms an insert | µs a row |\n`,
  `|---|${SIZES.map(() => '---:|').join('')}---:|---:|---:|`,
].join('');
writeFileSync(
  'bench/results/insert-fixed-cost.md',
  `# What an insert costs whatever its size

\`node bench/insert-fixed-cost.ts\` (${at}) — ${ROWS.toLocaleString('en')} of the yardstick's distinct records
(\`bench/lib/yard-records.ts\`, one hour in one day's partition), normalised as the collector does, inserted through
the in-process transport as the log store inserts them (spool file, plain-type reads, the words index and the two
bloom filters built on insert) in batches of ${SIZES.map((n) => n.toLocaleString('en')).join(' and ')} rows, after
one unmeasured insert, into a fresh database of the current schema per run, merges stopped. Each variant leaves
one thing out; variants and sizes take turns, ${ROUNDS} rounds. CPU = the process's (chDB runs in it) during the
inserts, median of the rounds; the machine's is all CPU from /proc/stat over the same inserts with the page
cache written back (\`sync\`) before the window closes, so the kernel's writeback counts whoever does it (an
insert that syncs its files does it in its own threads, one that does not leaves it to the kernel's). From an
insert's CPU at the two sizes, C(n) = F + n·v: F is what every insert pays
whatever its size, v what a row adds. 2 cores, shared; load ${loadBefore.join(' ')} before, ${loadAfter.join(' ')}
after.

## The process's CPU

${header}
${rows('process').join('\n')}

## The machine's CPU, writeback included

${header}
${rows('machine').join('\n')}
`,
);
console.log([...rows('process'), ...rows('machine')].join('\n'));
