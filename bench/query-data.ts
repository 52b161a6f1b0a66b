// Phase 3 (data) and 4: loads 1M realistic records spread over the last 24 h into a chdb store in
// this process, measures their compression, then multiplies them to 10M inside ClickHouse for the
// query benchmark. Usage: node bench/query-data.ts <chdb dir> <out.json>
import { writeFileSync } from 'node:fs';
import { createChdbTransport, createLogStore } from '@instant-logs/store';
import { toNdjson } from '@instant-logs/sample-app';
import { spreadRecords, storedLines } from './lib/records.ts';
import { load, round } from './lib/stats.ts';

const [dir, out = '/tmp/query-data.json'] = process.argv.slice(2);
if (!dir) throw new Error('Usage: node bench/query-data.ts <chdb dir> <out.json>');
const REAL = 1_000_000;
const COPIES = 10;
const DAY_MS = 86_400_000;
const toMs = Date.now();
const fromMs = toMs - DAY_MS;

const transport = createChdbTransport({ path: dir });
const real = createLogStore(transport, 'real1m');
await real.migrate();

// Clients' NDJSON bytes and the stored JSONEachRow bytes of the same records, and where the time went.
let ndjsonBytes = 0;
let storedBytes = 0;
let jsMs = 0;
let insertMs = 0;
const REQUEST = 1000;
const msOf = (t: string | number) => (typeof t === 'number' ? t : Date.parse(t));
for (const records of spreadRecords(REAL, 50_000, 2024, fromMs, toMs)) {
  let t0 = performance.now();
  ndjsonBytes += Buffer.byteLength(toNdjson(records));
  // As if each 1000 records arrived in one request a second after the last was logged, so
  // observed_timestamp (the receive time) spreads over the day as it would in real use.
  const lines: string[] = [];
  for (let i = 0; i < records.length; i += REQUEST) {
    const request = records.slice(i, i + REQUEST);
    lines.push(...storedLines(request, msOf(request.at(-1)!.timestamp) + 1000));
  }
  const data = lines.join('\n');
  storedBytes += Buffer.byteLength(data) + 1;
  jsMs += performance.now() - t0;
  t0 = performance.now();
  await real.insert(data);
  insertMs += performance.now() - t0;
}

const t0 = performance.now();
await transport.command('OPTIMIZE TABLE real1m.logs FINAL');
const optimizeMs = performance.now() - t0;

const [parts] = await transport.query<Record<string, string>>(
  `SELECT count() AS parts, sum(rows) AS rows, sum(bytes_on_disk) AS on_disk, sum(data_compressed_bytes) AS compressed,
          sum(data_uncompressed_bytes) AS uncompressed, sum(secondary_indices_compressed_bytes) AS indexes, sum(marks_bytes) AS marks
   FROM system.parts WHERE database = 'real1m' AND table = 'logs' AND active`,
);
const columns = await transport.query<{ name: string; compressed: string; uncompressed: string }>(
  `SELECT name, data_compressed_bytes AS compressed, data_uncompressed_bytes AS uncompressed FROM system.columns
   WHERE database = 'real1m' AND table = 'logs' ORDER BY data_compressed_bytes DESC`,
);
const indexes = await transport.query<{ name: string; compressed: string }>(
  `SELECT name, data_compressed_bytes AS compressed FROM system.data_skipping_indices WHERE database = 'real1m' AND table = 'logs' ORDER BY data_compressed_bytes DESC`,
);
const onDisk = Number(parts!.on_disk);
const compression = {
  records: Number(parts!.rows),
  parts: Number(parts!.parts),
  ndjsonBytes,
  storedJsonEachRowBytes: storedBytes,
  bytesOnDisk: onDisk,
  columnDataCompressedBytes: Number(parts!.compressed),
  columnDataUncompressedBytes: Number(parts!.uncompressed),
  skipIndexBytes: Number(parts!.indexes),
  marksBytes: Number(parts!.marks),
  ratioNdjsonToDisk: round(ndjsonBytes / onDisk, 2),
  ratioStoredToDisk: round(storedBytes / onDisk, 2),
  ratioNdjsonToColumnData: round(ndjsonBytes / Number(parts!.compressed), 2),
  bytesPerRecordOnDisk: round(onDisk / REAL),
  columns: columns.map((c) => ({
    name: c.name,
    compressed: Number(c.compressed),
    ratio: round(Number(c.uncompressed) / Math.max(1, Number(c.compressed)), 1),
  })),
  indexes: indexes.map((i) => ({ name: i.name, compressed: Number(i.compressed) })),
};

// 10M rows: the 1M real ones and 9 copies, each shifted by a fraction of the spacing between real
// records (so the day stays evenly filled) and given a fresh id. Text and attributes repeat.
const big = createLogStore(transport, 'big10m');
await big.migrate();
const spacingUs = Math.floor((DAY_MS * 1000) / REAL / COPIES);
const cols = 'tenant, service, level, severity_text, severity_number, body, attributes, resource, trace_id, span_id';
const t1 = performance.now();
await transport.command(
  `INSERT INTO big10m.logs (timestamp, observed_timestamp, id, ${cols})
   SELECT timestamp + toIntervalMicrosecond(k * ${spacingUs}), observed_timestamp + toIntervalMicrosecond(k * ${spacingUs}),
          if(k = 0, id, toString(generateUUIDv4(k))), ${cols}
   FROM real1m.logs ARRAY JOIN range(${COPIES}) AS k SETTINGS max_insert_threads = 2`,
);
const multiplyMs = performance.now() - t1;

// Let background merges settle (bounded), so queries see the table as it would sit in steady use.
const t2 = performance.now();
let bigParts: number;
for (;;) {
  const [state] = await transport.query<{ parts: string; merges: string }>(
    `SELECT (SELECT count() FROM system.parts WHERE database = 'big10m' AND table = 'logs' AND active) AS parts,
            (SELECT count() FROM system.merges WHERE database = 'big10m') AS merges`,
  );
  bigParts = Number(state!.parts);
  if (Number(state!.merges) === 0 || performance.now() - t2 > 60_000) break;
  await new Promise((r) => setTimeout(r, 500));
}
const [bigCount] = await transport.query<{ n: string }>(`SELECT count() AS n FROM big10m.logs`);
await transport.close();

writeFileSync(
  out,
  JSON.stringify(
    {
      fromMs,
      toMs,
      load1m: {
        records: REAL,
        generateNormalizeS: round(jsMs / 1000),
        insertS: round(insertMs / 1000),
        insertRowsPerS: Math.round(REAL / (insertMs / 1000)),
        batchRows: 50_000,
        optimizeFinalS: round(optimizeMs / 1000),
      },
      compression,
      big: {
        rows: Number(bigCount!.n),
        copies: COPIES,
        multiplyS: round(multiplyMs / 1000),
        mergeWaitS: round((performance.now() - t2) / 1000),
        activeParts: bigParts,
      },
      load: load(),
    },
    null,
    2,
  ),
);
