// What the queued line's form costs: 200k of the yardstick's distinct records, normalised as the
// collector does, queued as objects named by key (JSONEachRow, the form before) and as arrays of
// QUEUED_COLUMNS (JSONCompactEachRow, the form now), inserted in 40k-row batches with the store's
// insert settings into fresh tables with merges stopped, round-robin so other load falls on both
// alike. Reports the JS time to build each line, its bytes, and the engine's CPU per record.
// Usage: node bench/insert-format.ts [rounds=4]  (writes bench/results/insert-format.{json,md})
import { createRequire } from 'node:module';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { newRecordId, normalizeRecord, nowNs, QUEUED_COLUMNS, queuedLine, type LogRecord } from '@instant-logs/schema';
import { createChdbTransport, migrate } from '@instant-logs/store';
import { yardBodies } from './lib/yard-records.ts';
import { cpuSeconds, load, median, round } from './lib/stats.ts';

const ROUNDS = Number(process.argv[2] ?? 4);
const RECORDS = 200_000;
const BATCH = 40_000;
const FORMS = {
  object: { format: 'JSONEachRow', line: (r: LogRecord) => JSON.stringify(r) },
  array: { format: 'JSONCompactEachRow', line: (r: LogRecord) => queuedLine(r) },
} as const;
type Form = keyof typeof FORMS;

const dir = mkdtempSync(join(tmpdir(), 'idl-bench-format-'));
const databases = (form: Form) => Array.from({ length: ROUNDS }, (_, i) => `${form}${i}`);
const transport = createChdbTransport({ path: dir });
for (const form of Object.keys(FORMS) as Form[]) for (const db of databases(form)) await migrate(transport, db);
await transport.close();

const toMs = Date.now();
const { bodies } = yardBodies(RECORDS / 1000, 1000, 10, toMs - 3_600_000, toMs);
const records: LogRecord[] = [];
for (const [k, body] of bodies.entries()) {
  const receivedMs = toMs + Math.floor(k * 6.5);
  const ctx = { tenant: 'default', receivedNs: nowNs(receivedMs), newId: () => newRecordId(receivedMs) };
  for (const text of body.toString('utf8').split('\n')) {
    if (!text) continue;
    const result = normalizeRecord(JSON.parse(text), ctx);
    if (result.ok) records.push(result.record);
  }
}

// Building the lines, interleaved after a warm-up pass of each, so JIT and GC fall on both alike.
const js: Record<Form, number[]> = { object: [], array: [] };
const batches = {} as Record<Form, Buffer[]>;
for (let pass = 0; pass < 4; pass++)
  for (const form of Object.keys(FORMS) as Form[]) {
    const cpu0 = cpuSeconds('self');
    const lines = records.map(FORMS[form].line);
    if (pass > 0) js[form].push(((cpuSeconds('self') - cpu0) * 1e6) / RECORDS);
    batches[form] = [];
    for (let i = 0; i < lines.length; i += BATCH) batches[form].push(Buffer.from(lines.slice(i, i + BATCH).join('\n')));
  }

// The bare Session, so both forms get exactly the store's insert settings and nothing else.
const { Session } = createRequire(import.meta.url)('chdb') as typeof import('chdb');
const session = new Session(dir, { connectionArgs: ['--async_insert=0'] });
for (const form of Object.keys(FORMS) as Form[])
  for (const db of databases(form)) session.query(`SYSTEM STOP MERGES ${db}.logs`);
// The store's insert settings on this engine (packages/store: INSERT_SETTINGS, and the words index built
// on insert where the server can leave the others to merges); no dedup, so each round stores its rows.
const settings = {
  async_insert: 0,
  date_time_input_format: 'best_effort',
  deduplicate_blocks_in_dependent_materialized_views: 1,
  materialize_skip_indexes_on_insert: 1,
  exclude_materialize_skip_indexes_on_insert:
    'idx_body_tokens,idx_attribute_keys,idx_attribute_values,idx_resource_keys,idx_resource_values,idx_trace_id',
  insert_deduplicate: 0,
};
const engine: Record<Form, number[]> = { object: [], array: [] };
const loadBefore = load();
for (let rep = 0; rep < ROUNDS; rep++)
  for (const form of Object.keys(FORMS) as Form[]) {
    const cpu0 = cpuSeconds('self');
    for (const values of batches[form])
      await session.insert({
        table: `${form}${rep}.logs`,
        values,
        format: FORMS[form].format,
        ...(form === 'array' ? { columns: [...QUEUED_COLUMNS] } : {}),
        settings,
      });
    engine[form].push(((cpuSeconds('self') - cpu0) * 1e6) / RECORDS);
  }
const loadAfter = load();
// Both forms must have stored the same records, every one of them, in every round.
const digest = (db: string) =>
  String(
    session.query(
      `SELECT count(), sum(cityHash64(id, tenant, timestamp, observed_timestamp, service, level, severity_text, severity_number, body, attributes, resource, trace_id, span_id, retention_days)) FROM ${db}.logs`,
      'CSV',
    ),
  ).trim();
const digests = new Set([...databases('object'), ...databases('array')].map(digest));
session.close();
rmSync(dir, { recursive: true, force: true });
if (digests.size !== 1 || !digests.values().next().value!.startsWith(`${RECORDS},`))
  throw new Error(`the forms stored different rows: ${[...digests].join(' | ')}`);

const bytes = (form: Form) => batches[form].reduce((n, b) => n + b.length + 1, 0) / RECORDS;
const result = {
  records: RECORDS,
  batch: BATCH,
  rounds: ROUNDS,
  load: { before: loadBefore, after: loadAfter },
  forms: Object.fromEntries(
    (Object.keys(FORMS) as Form[]).map((form) => [
      form,
      {
        format: FORMS[form].format,
        bytesPerRecord: round(bytes(form), 1),
        jsUsPerRecord: round(median(js[form]), 2),
        jsRuns: js[form].map((x) => round(x, 2)),
        engineUsPerRecord: round(median(engine[form]), 2),
        engineRuns: engine[form].map((x) => round(x, 2)),
      },
    ]),
  ),
};
writeFileSync('bench/results/insert-format.json', `${JSON.stringify(result, null, 2)}\n`);
const row = (form: Form) => {
  const f = result.forms[form]!;
  return `| ${form === 'object' ? 'objects named by key (before)' : 'arrays of QUEUED_COLUMNS (now)'} | \`${f.format}\` | ${f.bytesPerRecord} | ${f.jsUsPerRecord} | ${f.engineUsPerRecord} (${f.engineRuns.join(', ')}) |`;
};
writeFileSync(
  'bench/results/insert-format.md',
  `# The queued line's form: objects or arrays

\`node bench/insert-format.ts\` — ${RECORDS.toLocaleString('en')} of the yardstick's distinct records (\`bench/lib/yard-records.ts\`),
normalised as the collector does, each queued in both forms; ${BATCH.toLocaleString('en')}-row inserts into fresh tables of the
current schema with the store's insert settings, merges stopped, the forms round-robin
${ROUNDS} times. JS = CPU to build the lines from normalised records (median of 3 interleaved passes after a
warm-up); engine = the process's CPU during the inserts (chdb runs in it), median of the rounds. Both forms
stored the same rows (count and a hash over every column, checked in every round). Load ${loadBefore.join(' ')}
before, ${loadAfter.join(' ')} after (2 cores, shared).

| line | insert format | bytes a record | JS µs a record | engine µs a record (rounds) |
|---|---|---:|---:|---:|
${row('object')}
${row('array')}
`,
);
console.log(JSON.stringify(result.forms));
