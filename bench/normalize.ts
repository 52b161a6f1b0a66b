// CPU per record of the collector's hot path, stage by stage, in this process: NDJSON decoding
// (JSON.parse per line), normalisation and building the queued line, over distinct generated records
// of ~340 bytes. Usage: node bench/normalize.ts [label] [code] — the run is stored under `label` in
// bench/results/normalize.json and every stored run is rendered into bench/results/normalize.md.
import { execFileSync } from 'node:child_process';
import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import { randomUUID } from 'node:crypto';
import * as schema from '@instant-logs/schema';
import { decodeNdjson } from '../services/collector/src/decode-body.ts';
import { load, machine, median, round } from './lib/stats.ts';

const RECORDS = 20_000;
const ROUNDS = 25;
const label = process.argv[2] ?? 'run';
const RESULTS = new URL('./results/normalize.json', import.meta.url);
const REPORT = new URL('./results/normalize.md', import.meta.url);

// A seeded generator so every run measures the same records.
let seed = 0x2545f491;
const rand = () => (seed = (seed * 1_103_515_245 + 12_345) >>> 0) / 2 ** 32;
const pick = <T>(xs: readonly T[]): T => xs[Math.floor(rand() * xs.length)]!;
const WORDS = (
  'payment declined cache miss order shipped user login timeout retrying upstream connection reset inventory reserved ' +
  'checkout completed slow query took ms for with after the'
).split(' ');
const SERVICES = ['checkout', 'payments', 'inventory', 'frontend', 'auth', 'shipping', 'search', 'recommendations'];
const LEVELS = ['info', 'info', 'info', 'debug', 'warn', 'error'];
const ROUTES = ['/api/cart', '/api/orders/:id', '/api/login', '/api/search', '/healthz', '/api/products/:sku'];
const startMs = Date.UTC(2026, 11, 6, 12);

/** One distinct record of the common shape: half carry RFC 3339 text, half epoch milliseconds. */
function record(i: number): Record<string, unknown> {
  const ms = startMs + i * 37 + Math.floor(rand() * 30);
  const words = Array.from({ length: 6 + Math.floor(rand() * 8) }, () => pick(WORDS)).join(' ');
  return {
    timestamp: i % 2 === 0 ? new Date(ms).toISOString() : ms,
    service: pick(SERVICES),
    level: pick(LEVELS),
    message: `${words} #${i}`,
    http: { method: pick(['GET', 'POST', 'PUT']), route: pick(ROUTES), status: pick([200, 200, 201, 404, 500]) },
    duration_ms: Math.round(rand() * 5000) / 10,
    attributes: { user_id: `u-${Math.floor(rand() * 100_000)}`, cart_items: Math.floor(rand() * 9) },
    resource: { host: `web-${Math.floor(rand() * 40)}`, region: pick(['eu-west-1', 'us-east-1']) },
  };
}

const records = Array.from({ length: RECORDS }, (_, i) => record(i));
const body = records.map((r) => JSON.stringify(r)).join('\n');
const receivedNs = schema.nowNs(startMs + RECORDS * 40);
const exported = schema as Record<string, unknown>;
// The collector's own id maker where the measured code has one (UUIDv7 from the record-id change on).
const newRecordId = exported.newRecordId as ((ms?: number) => string) | undefined;
const newId = newRecordId ? () => newRecordId(startMs) : randomUUID;
const ctx = { tenant: 'default', receivedNs, receivedText: schema.formatTimestamp(receivedNs), newId };
type Normalize = typeof schema.normalizeRecord;
// The zod reference exists from the lean hot path on; before it, normalizeRecord was the zod path.
const reference = (exported.normalizeRecordReference ?? schema.normalizeRecord) as Normalize;
const queuedLine = exported.queuedLine as ((r: schema.LogRecord, retentionDays?: number) => string) | undefined;
const serialise = queuedLine ?? ((r: schema.LogRecord) => JSON.stringify(r));

const parsed = decodeNdjson(body).map((item) => ('record' in item ? item.record : undefined));
// Copies, so that no object the normalisation allocates outlives the stage: V8 would see that its
// allocation sites' objects survive and allocate them in the old generation from then on, which is
// not what the collector's short-lived records do (they die once their line is built).
const normalised = parsed.map((raw) => {
  const result = schema.normalizeRecord(raw, ctx);
  if (!result.ok) throw new Error(`Generated record rejected: ${result.error.field} ${result.error.message}`);
  return JSON.parse(JSON.stringify(result.record)) as schema.LogRecord;
});
const lineBytes = normalised.reduce((n, r) => n + Buffer.byteLength(serialise(r)), 0) / RECORDS;

/** µs of process CPU (user + system) per record for `run`, the median of ROUNDS after one warm-up round. */
function cpuPerRecord(run: () => unknown): number {
  const samples: number[] = [];
  for (let round = 0; round <= ROUNDS; round++) {
    const before = process.cpuUsage();
    run();
    const used = process.cpuUsage(before);
    if (round > 0) samples.push((used.user + used.system) / RECORDS);
  }
  return median(samples);
}

let sink = 0;
const stages: { stage: string; how: string; usPerRecord: number; load: number[] }[] = [];
const measure = (stage: string, how: string, run: () => number) => {
  const usPerRecord = round(
    cpuPerRecord(() => (sink += run())),
    2,
  );
  stages.push({ stage, how, usPerRecord, load: load() });
  console.log(`${stage}: ${usPerRecord} µs/record (load ${load().join(' / ')})`);
};

measure('decode', 'decodeNdjson (split, byte check, JSON.parse per line)', () => decodeNdjson(body).length);
const okCount = (normalize: Normalize) => () =>
  parsed.reduce<number>((n, raw) => n + (normalize(raw, ctx).ok ? 1 : 0), 0);
// Before queuedLine, the collector spliced retention_days into JSON.stringify's text.
const withRetention = (r: schema.LogRecord) =>
  queuedLine ? queuedLine(r, 30) : `${JSON.stringify(r).slice(0, -1)},"retention_days":30}`;
measure('normalise', 'normalizeRecord', okCount(schema.normalizeRecord));
if (reference !== schema.normalizeRecord)
  measure('normalise (zod reference)', 'normalizeRecordReference', okCount(reference));
measure('serialise', queuedLine ? 'queuedLine' : 'JSON.stringify(record)', () =>
  normalised.reduce((n, r) => n + serialise(r).length, 0),
);
measure('serialise with retention', queuedLine ? 'queuedLine(record, 30)' : 'JSON.stringify + splice', () =>
  normalised.reduce((n, r) => n + withRetention(r).length, 0),
);
const serialiser = queuedLine ? 'queuedLine' : 'JSON.stringify';
measure('normalise + serialise', `normalizeRecord, then ${serialiser}, lines kept as acceptRecords keeps them`, () => {
  const lines: string[] = [];
  for (const raw of parsed) {
    const result = schema.normalizeRecord(raw, ctx);
    if (result.ok) lines.push(serialise(result.record));
  }
  return lines.length;
});
if (sink === 0) throw new Error('Nothing was measured');

// The code measured: HEAD, or what the caller names when it checked out other sources (e.g. the before state).
const commit = process.argv[3] ?? execFileSync('git', ['rev-parse', '--short', 'HEAD'], { encoding: 'utf8' }).trim();
const run = {
  label,
  at: new Date().toISOString(),
  commit,
  records: RECORDS,
  rounds: ROUNDS,
  inputBytes: round(Buffer.byteLength(body) / RECORDS),
  lineBytes: round(lineBytes),
  machine: machine(),
  stages,
};
const runs: (typeof run)[] = existsSync(RESULTS) ? JSON.parse(readFileSync(RESULTS, 'utf8')) : [];
writeFileSync(RESULTS, `${JSON.stringify([...runs.filter((r) => r.label !== label), run], null, 2)}\n`);
writeFileSync(REPORT, render(JSON.parse(readFileSync(RESULTS, 'utf8'))));

function render(all: (typeof run)[]): string {
  const fullest = [...all].sort((a, b) => b.stages.length - a.stages.length)[0]!;
  const names = [...new Set([fullest, ...all].flatMap((r) => r.stages.map((s) => s.stage)))];
  const cell = (r: typeof run, name: string) => {
    const s = r.stages.find((x) => x.stage === name);
    return s ? `**${s.usPerRecord}** (load ${s.load[0]})` : '–';
  };
  return [
    '# Collector hot path: CPU per record',
    '',
    `\`node bench/normalize.ts <label> [code]\` in one process: ${RECORDS.toLocaleString('en')} distinct generated records of the common shape`,
    `(~${all.at(-1)!.inputBytes} bytes of NDJSON each: service, level, a message of varied words, a timestamp — half RFC 3339, half epoch ms —`,
    'two top-level extras of which one nested, two attributes, two resource attributes). Each stage runs over all records once to warm up,',
    `then ${ROUNDS} times; the figure is the median of process CPU (user + system, \`process.cpuUsage\`, GC threads included) per record,`,
    'in µs. The machine has 2 cores shared with other work, so the 1-minute load average, taken right after each stage, stands next to',
    'each figure (all three averages are in normalize.json). Normalised records are not kept alive between stages, as in the collector.',
    '',
    `| stage | ${all.map((r) => `${r.label} (${r.commit})`).join(' | ')} |`,
    `|---|${all.map(() => '---|').join('')}`,
    ...names.map((name) => `| ${name} | ${all.map((r) => cell(r, name)).join(' | ')} |`),
    '',
    'What each stage runs, per run:',
    '',
    ...all.flatMap((r) => [
      `- ${r.label}: ${r.at}, code ${r.commit}, ${r.machine.cpus} × ${r.machine.cpuModel}, Node ${r.machine.node}; ` +
        `queued line ~${r.lineBytes} bytes.`,
      ...r.stages.map((s) => `  - ${s.stage}: ${s.how}`),
    ]),
    '',
  ].join('\n');
}
