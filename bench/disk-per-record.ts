// Where the bytes of a stored record go (issue 10 item 3): the yardstick's distinct records, built
// into the lines the collector queues (normalizeRecord, newRecordId, queuedLine) and inserted with
// store.insert in WAL-sized batches into a chdb store in this process, merged with OPTIMIZE FINAL,
// then sized per column and per skip index. Each variant is a fresh table in the same process that
// receives the same lines the same way, so its bytes and insert CPU compare with the base's.
// Usage: node bench/disk-per-record.ts <chdb dir> <out.json> [records=1000000] [variant,…|all]
import { rmSync, writeFileSync } from 'node:fs';
import { createChdbTransport, createLogStore, migrate } from '@instant-logs/store';
import { normalisedRecords, queuedBatches } from './lib/in-process.ts';
import { yardBodies } from './lib/yard-records.ts';
import { cpuSeconds, load, round } from './lib/stats.ts';
import { VARIANTS } from './lib/disk-variants.ts';

const [dir, out = '/tmp/disk-per-record.json', recordsArg = '1000000', only = 'all'] = process.argv.slice(2);
if (!dir) throw new Error('Usage: node bench/disk-per-record.ts <chdb dir> <out.json> [records] [variants]');
const RECORDS = Number(recordsArg);
const PER_BODY = 1000;
const BATCH_ROWS = 40_000; // what the log processor inserts under load (35k–37k rows in the embedded bench)
const SPAN_MS = 3_600_000; // the yardstick's hour
// The yardstick's ingest rate: a 1000-record request every ~6.5 ms (about 154k records/s).
const REQUEST_EVERY_MS = 6.5;

rmSync(dir, { recursive: true, force: true });
const loadAtStart = load();
const toMs = Math.floor(Date.now() / 60_000) * 60_000;
const { bodies, facts } = yardBodies(Math.ceil(RECORDS / PER_BODY), PER_BODY, 10, toMs - SPAN_MS, toMs);
const ndjsonBytes = bodies.reduce((n, b) => n + b.length, 0);
const batches = [...queuedBatches(normalisedRecords(bodies, toMs, REQUEST_EVERY_MS), BATCH_ROWS)];
const storedBytes = batches.reduce((n, b) => n + b.length, 0);
console.log(
  `${facts.records} records, ${round(ndjsonBytes / facts.records)} B NDJSON, ${round(storedBytes / facts.records)} B queued each`,
);

const transport = createChdbTransport({ path: dir });

interface Sizes {
  parts: number;
  bytesOnDisk: number;
  columnData: number;
  skipIndexes: number;
  marks: number;
  primaryKey: number;
  columns: Record<string, { compressed: number; uncompressed: number }>;
  indexes: Record<string, number>;
}

async function sizes(db: string): Promise<Sizes> {
  const [p] = await transport.query<Record<string, string>>(
    `SELECT count() AS parts, sum(bytes_on_disk) AS disk, sum(data_compressed_bytes) AS data,
            sum(secondary_indices_compressed_bytes) AS idx, sum(marks_bytes) AS marks, sum(primary_key_bytes_in_memory) AS pk
     FROM system.parts WHERE database = {db:String} AND table = 'logs' AND active`,
    { db },
  );
  const cols = await transport.query<{ column: string; c: string; u: string }>(
    `SELECT column, sum(column_data_compressed_bytes) AS c, sum(column_data_uncompressed_bytes) AS u
     FROM system.parts_columns WHERE database = {db:String} AND table = 'logs' AND active GROUP BY column`,
    { db },
  );
  const idx = await transport.query<{ name: string; c: string }>(
    `SELECT name, data_compressed_bytes AS c FROM system.data_skipping_indices WHERE database = {db:String} AND table = 'logs'`,
    { db },
  );
  return {
    parts: Number(p!.parts),
    bytesOnDisk: Number(p!.disk),
    columnData: Number(p!.data),
    skipIndexes: Number(p!.idx),
    marks: Number(p!.marks),
    primaryKey: Number(p!.pk),
    columns: Object.fromEntries(cols.map((c) => [c.column, { compressed: Number(c.c), uncompressed: Number(c.u) }])),
    indexes: Object.fromEntries(idx.map((i) => [i.name, Number(i.c)])),
  };
}

const chosen =
  only === 'all' ? VARIANTS : VARIANTS.filter((v) => v.name === 'base' || only.split(',').includes(v.name));
const results = [];
for (const variant of chosen) {
  const db = `v_${variant.name.replace(/[^a-z0-9]/gi, '_')}`;
  if (variant.ddl(db) === '') {
    await migrate(transport, db);
    for (const sql of variant.afterMigrate?.(db) ?? []) await transport.command(sql);
  } else {
    await transport.command(`CREATE DATABASE IF NOT EXISTS ${db}`);
    await transport.command(variant.ddl(db));
  }
  const store = createLogStore(transport, db);
  // Merges off while inserting, so insert CPU is the insert's alone; the final merge is timed apart.
  // SETTLED=1 instead leaves merges to run as they would in a server and waits until none is left.
  const settled = Boolean(process.env['SETTLED']);
  if (!settled) await transport.command(`SYSTEM STOP MERGES ${db}.logs`);
  let cpu0 = cpuSeconds('self');
  let t0 = performance.now();
  for (const batch of batches) await store.insert(batch);
  const insertCpuS = cpuSeconds('self') - cpu0;
  const insertS = (performance.now() - t0) / 1000;
  cpu0 = cpuSeconds('self');
  t0 = performance.now();
  // UNMERGED=1 leaves the inserted parts as they are, for queries over many parts.
  if (settled) {
    const merging = async () =>
      Number(
        (
          await transport.query<{ n: string }>(`SELECT count() AS n FROM system.merges WHERE database = {db:String}`, {
            db,
          })
        )[0]?.n,
      );
    while ((await merging()) > 0) await new Promise((r) => setTimeout(r, 200));
  } else if (!process.env['UNMERGED']) {
    await transport.command(`SYSTEM START MERGES ${db}.logs`);
    await transport.command(`OPTIMIZE TABLE ${db}.logs FINAL`);
  }
  const mergeCpuS = cpuSeconds('self') - cpu0;
  const mergeS = (performance.now() - t0) / 1000;
  const s = await sizes(db);
  const perRecord = (b: number) => round(b / facts.records, 2);
  const result = {
    name: variant.name,
    description: variant.description,
    bytesPerRecord: perRecord(s.bytesOnDisk),
    insertCpuUsPerRecord: round((insertCpuS * 1e6) / facts.records, 2),
    insertS: round(insertS, 2),
    mergeCpuUsPerRecord: round((mergeCpuS * 1e6) / facts.records, 2),
    mergeS: round(mergeS, 2),
    load: load(),
    ...s,
    columnsPerRecord: Object.fromEntries(Object.entries(s.columns).map(([k, v]) => [k, perRecord(v.compressed)])),
    indexesPerRecord: Object.fromEntries(Object.entries(s.indexes).map(([k, v]) => [k, perRecord(v)])),
  };
  results.push(result);
  console.log(
    `${variant.name}: ${result.bytesPerRecord} B/record (columns ${perRecord(s.columnData)}, indexes ${perRecord(s.skipIndexes)}, ` +
      `marks ${perRecord(s.marks)}), insert ${result.insertCpuUsPerRecord} µs CPU/record, merge ${result.mergeCpuUsPerRecord}, load ${result.load.join(' ')}`,
  );
  console.log(
    `  columns ${JSON.stringify(result.columnsPerRecord)}\n  indexes ${JSON.stringify(result.indexesPerRecord)}`,
  );
  if (variant.name !== 'base' && !process.env['KEEP']) await transport.command(`DROP DATABASE ${db} SYNC`);
}
await transport.close();
writeFileSync(
  out,
  JSON.stringify(
    {
      records: facts.records,
      facts,
      ndjsonBytes,
      storedBytes,
      batchRows: BATCH_ROWS,
      loadAtStart,
      loadAtEnd: load(),
      variants: results,
    },
    null,
    2,
  ),
);
