// Phase 4 variants: on-disk size of the same 1M real records under schema changes, copied from the
// table query-data.ts built, each merged to one part per partition. Usage: node bench/compression.ts <chdb dir> <out.json>
import { writeFileSync } from 'node:fs';
import { createChdbTransport } from '@instant-logs/store';
import { load, round } from './lib/stats.ts';

const [dir, out = '/tmp/compression.json'] = process.argv.slice(2);
if (!dir) throw new Error('Usage: node bench/compression.ts <chdb dir> <out.json>');
const transport = createChdbTransport({ path: dir });
const [ddl] = await transport.query<{ statement: string }>(`SHOW CREATE TABLE real1m.logs`);
const base = ddl!.statement;

// A UUIDv7-style id: the record's millisecond timestamp in the first 48 bits, random bits after,
// so ids sorted with their rows by time share prefixes; built in SQL for the copy only.
const UUID7 = `toUUID(concat(substring(h, 1, 8), '-', substring(h, 9, 4), '-7', substring(r, 1, 3), '-8', substring(r, 4, 3), '-', substring(r, 7, 12)))`;
const uuid7Select = `(leftPad(lower(hex(toUnixTimestamp64Milli(timestamp))), 12, '0') AS h, lower(hex(randomString(9))) AS r, ${UUID7}).3`;
const SEQ = 'toUInt64(row_number() OVER (ORDER BY timestamp))';
const zstd3 = (s: string) =>
  s.replace(/(`(?:id|body|attributes|resource|trace_id|span_id)` [^\n]*?)CODEC\(ZSTD\(1\)\)/g, '$1CODEC(ZSTD(3))');
const column = (name: string, type: string) => (s: string) =>
  s.replace(new RegExp(`\`${name}\` String`), `\`${name}\` ${type}`);
const retype = (name: string, typeAndCodec: string) => (s: string) =>
  s.replace(new RegExp(`\`${name}\` String[^,\n]*`), `\`${name}\` ${typeAndCodec}`);
const binaryIds = (s: string) => column('span_id', 'FixedString(8)')(column('trace_id', 'FixedString(16)')(s));

const VARIANTS: { name: string; ddl: (s: string) => string; select?: Record<string, string> }[] = [
  { name: 'current schema (copy)', ddl: (s) => s },
  { name: 'id as time-ordered UUIDv7', ddl: column('id', 'UUID'), select: { id: uuid7Select } },
  // Arrival order stands for a per-process sequence number: rows arrive roughly in time order.
  {
    name: 'id as UInt64 arrival sequence, Delta+ZSTD',
    ddl: retype('id', 'UInt64 CODEC(Delta(8), ZSTD(1))'),
    select: { id: SEQ },
  },
  {
    name: 'trace_id/span_id as binary FixedString(16/8)',
    ddl: binaryIds,
    select: { trace_id: 'unhex(trace_id)', span_id: 'unhex(span_id)' },
  },
  { name: 'ZSTD(3) instead of ZSTD(1) on string columns', ddl: zstd3 },
  {
    name: 'sequence id + binary trace ids + ZSTD(3)',
    ddl: (s) => zstd3(binaryIds(retype('id', 'UInt64 CODEC(Delta(8), ZSTD(1))')(s))),
    select: { id: SEQ, trace_id: 'unhex(trace_id)', span_id: 'unhex(span_id)' },
  },
];
const COLUMNS = [
  'tenant',
  'timestamp',
  'observed_timestamp',
  'id',
  'service',
  'level',
  'severity_text',
  'severity_number',
  'body',
  'attributes',
  'resource',
  'trace_id',
  'span_id',
  'retention_days',
  'ingested_at',
];

const sizes = async (db: string) => {
  const [p] = await transport.query<{ disk: string; data: string; idx: string }>(
    `SELECT sum(bytes_on_disk) AS disk, sum(data_compressed_bytes) AS data, sum(secondary_indices_compressed_bytes) AS idx FROM system.parts WHERE database = {db:String} AND table = 'logs' AND active`,
    { db },
  );
  const cols = await transport.query<{ name: string; c: string }>(
    `SELECT name, data_compressed_bytes AS c FROM system.columns WHERE database = {db:String} AND table = 'logs' AND name IN ('id', 'trace_id', 'span_id', 'body', 'attributes')`,
    { db },
  );
  return {
    bytesOnDisk: Number(p!.disk),
    columnData: Number(p!.data),
    skipIndexes: Number(p!.idx),
    columns: Object.fromEntries(cols.map((c) => [c.name, Number(c.c)])),
  };
};

const ndjson = Number(process.env['NDJSON_BYTES'] ?? 0);
const results = [];
for (const [i, v] of VARIANTS.entries()) {
  const db = `cmp${i}`;
  await transport.command(`CREATE DATABASE IF NOT EXISTS ${db}`);
  await transport.command(v.ddl(base).replace('CREATE TABLE real1m.logs', `CREATE TABLE ${db}.logs`));
  const select = COLUMNS.map((c) => (v.select?.[c] ? `${v.select[c]} AS ${c}` : c)).join(', ');
  await transport.command(`INSERT INTO ${db}.logs (${COLUMNS.join(', ')}) SELECT ${select} FROM real1m.logs`);
  await transport.command(`OPTIMIZE TABLE ${db}.logs FINAL`);
  const s = await sizes(db);
  results.push({
    name: v.name,
    ...s,
    bytesPerRecord: round(s.bytesOnDisk / 1e6),
    ratioNdjsonToDisk: ndjson ? round(ndjson / s.bytesOnDisk, 2) : null,
  });
  await transport.command(`DROP DATABASE ${db} SYNC`);
}
await transport.close();
writeFileSync(out, JSON.stringify({ variants: results, load: load() }, null, 2));
