// What the queued line's form and the way it is inserted cost: 200k of the yardstick's distinct records,
// normalised as the collector does, inserted in 40k-row batches through the in-process transport with the
// store's insert settings into fresh tables with merges stopped, round-robin so other load falls on each
// way alike: objects named by key (JSONEachRow, the first form), arrays of QUEUED_COLUMNS read into the
// table's types inside the statement (the form before), and the same arrays read as plain types from a
// spool file and converted a block at a time (now). Reports the JS time to build each line, its bytes, and
// the engine's CPU per record. Usage: node bench/insert-format.ts [rounds=4]
// (writes bench/results/insert-format.{json,md})
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { QUEUED_COLUMNS, queuedLine, type LogRecord } from '@instant-logs/schema';
import { createChdbTransport, migrate, QUEUED_READ_AS, type InsertOptions } from '@instant-logs/store';
import { normalisedRecords } from './lib/in-process.ts';
import { yardBodies } from './lib/yard-records.ts';
import { cpuSeconds, load, median, round } from './lib/stats.ts';

const ROUNDS = Number(process.argv[2] ?? 4);
const RECORDS = 200_000;
const BATCH = 40_000;
const WAYS = {
  object: {
    label: 'objects named by key (first)',
    format: 'JSONEachRow',
    line: (r: LogRecord) => JSON.stringify(r),
    options: {} as InsertOptions,
  },
  array: {
    label: "arrays, read into the table's types (before)",
    format: 'JSONCompactEachRow',
    line: (r: LogRecord) => queuedLine(r),
    options: { columns: QUEUED_COLUMNS },
  },
  readAs: {
    label: 'arrays, read as plain types from a file (now)',
    format: 'JSONCompactEachRow',
    line: (r: LogRecord) => queuedLine(r),
    options: { columns: QUEUED_COLUMNS, readAs: QUEUED_READ_AS },
  },
} as const;
type Way = keyof typeof WAYS;
const ways = Object.keys(WAYS) as Way[];

const dir = mkdtempSync(join(tmpdir(), 'idl-bench-format-'));
const databases = (way: Way) => Array.from({ length: ROUNDS }, (_, i) => `${way}${i}`);
const transport = createChdbTransport({ path: dir });
for (const way of ways) for (const db of databases(way)) await migrate(transport, db);
for (const way of ways) for (const db of databases(way)) await transport.command(`SYSTEM STOP MERGES ${db}.logs`);

const toMs = Date.now();
const { bodies } = yardBodies(RECORDS / 1000, 1000, 10, toMs - 3_600_000, toMs);
const records = [...normalisedRecords(bodies, toMs, 6.5)];

// Building the lines, interleaved after a warm-up pass of each, so JIT and GC fall on each alike.
const js = Object.fromEntries(ways.map((w) => [w, [] as number[]])) as Record<Way, number[]>;
const batches = {} as Record<Way, Buffer[]>;
for (let pass = 0; pass < 4; pass++)
  for (const way of ways) {
    const cpu0 = cpuSeconds('self');
    const lines = records.map(WAYS[way].line);
    if (pass > 0) js[way].push(((cpuSeconds('self') - cpu0) * 1e6) / RECORDS);
    batches[way] = [];
    for (let i = 0; i < lines.length; i += BATCH) batches[way].push(Buffer.from(lines.slice(i, i + BATCH).join('\n')));
  }

// The store's insert settings on this engine (the transport's INSERT_SETTINGS, and the words index built on
// insert while the others are left to merges, as the log store asks); no dedup, so each round stores its rows.
const settings = {
  materialize_skip_indexes_on_insert: 1,
  exclude_materialize_skip_indexes_on_insert:
    'idx_body_tokens,idx_attribute_keys,idx_attribute_values,idx_resource_keys,idx_resource_values,idx_trace_id',
  insert_deduplicate: 0,
};
const engine = Object.fromEntries(ways.map((w) => [w, [] as number[]])) as Record<Way, number[]>;
const loadBefore = load();
for (let rep = 0; rep < ROUNDS; rep++)
  for (const way of ways) {
    const cpu0 = cpuSeconds('self');
    for (const values of batches[way])
      await transport.insertJsonEachRow(`${way}${rep}.logs`, values, { ...WAYS[way].options, settings });
    engine[way].push(((cpuSeconds('self') - cpu0) * 1e6) / RECORDS);
  }
const loadAfter = load();
// Every way must have stored the same records, every one of them, in every round.
const digest = async (db: string) => {
  const [row] = await transport.query<{ n: string; h: string }>(
    `SELECT count() AS n, sum(cityHash64(id, tenant, timestamp, observed_timestamp, service, level, severity_text, severity_number, body, attributes, resource, trace_id, span_id, retention_days)) AS h FROM ${db}.logs`,
  );
  return `${row!.n},${row!.h}`;
};
const digests = new Set(await Promise.all(ways.flatMap(databases).map(digest)));
await transport.close();
rmSync(dir, { recursive: true, force: true });
if (digests.size !== 1 || !digests.values().next().value!.startsWith(`${RECORDS},`))
  throw new Error(`the ways stored different rows: ${[...digests].join(' | ')}`);

const bytes = (way: Way) => batches[way].reduce((n, b) => n + b.length + 1, 0) / RECORDS;
const result = {
  records: RECORDS,
  batch: BATCH,
  rounds: ROUNDS,
  load: { before: loadBefore, after: loadAfter },
  ways: Object.fromEntries(
    ways.map((way) => [
      way,
      {
        label: WAYS[way].label,
        format: WAYS[way].format,
        bytesPerRecord: round(bytes(way), 1),
        jsUsPerRecord: round(median(js[way]), 2),
        jsRuns: js[way].map((x) => round(x, 2)),
        engineUsPerRecord: round(median(engine[way]), 2),
        engineRuns: engine[way].map((x) => round(x, 2)),
      },
    ]),
  ),
};
writeFileSync('bench/results/insert-format.json', `${JSON.stringify(result, null, 2)}\n`);
const row = (way: Way) => {
  const f = result.ways[way]!;
  return `| ${f.label} | \`${f.format}\` | ${f.bytesPerRecord} | ${f.jsUsPerRecord} | ${f.engineUsPerRecord} (${f.engineRuns.join(', ')}) |`;
};
writeFileSync(
  'bench/results/insert-format.md',
  `# The queued line's form, and how it is inserted

\`node bench/insert-format.ts\` — ${RECORDS.toLocaleString('en')} of the yardstick's distinct records (\`bench/lib/yard-records.ts\`),
normalised as the collector does; ${BATCH.toLocaleString('en')}-row inserts through the in-process transport into fresh
tables of the current schema with the store's insert settings, merges stopped, the ways round-robin
${ROUNDS} times. JS = CPU to build the lines from normalised records (median of 3 interleaved passes after a
warm-up); engine = the process's CPU during the inserts (chdb runs in it), median of the rounds. Every way
stored the same rows (count and a hash over every column, checked in every round). Load ${loadBefore.join(' ')}
before, ${loadAfter.join(' ')} after (2 cores, shared).

Reading LowCardinality columns and map keys value by value into their dictionaries is what the "before" way
pays for; read as plain strings and converted a block at a time, the same rows cost the engine less. chDB
takes a batch inside the statement more slowly than from a file, so the in-process transport writes batches
of 64 KiB and more to a spool file that \`file()\` reads; over HTTP the same read goes through \`input()\`.

| line, and how it is read | insert format | bytes a record | JS µs a record | engine µs a record (rounds) |
|---|---|---:|---:|---:|
${ways.map(row).join('\n')}
`,
);
console.log(JSON.stringify(result.ways));
