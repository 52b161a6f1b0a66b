// Renders the results of `make bench` as Markdown and judges them against the targets.
// The phases' JSON is read loosely (`any`): each phase file documents the shape it writes.
import { yardstickSection, yardstickTargets } from './report-yardstick.ts';

type Json = any;

interface Target {
  target: string;
  measured: string;
  reached: boolean;
}

const ms = (x: number) => `${x} ms`;
const n = (x: number) => Math.round(x).toLocaleString('en-US');
const mb = (bytes: number) => `${(bytes / 1e6).toFixed(1)} MB`;
const lat = (s: Json) => `p50 ${s.p50} / p90 ${s.p90} / p99 ${s.p99} / max ${s.max} ms (n=${s.n})`;
const table = (head: string[], rows: (string | number)[][]) =>
  [`| ${head.join(' | ')} |`, `|${head.map(() => '---').join('|')}|`, ...rows.map((r) => `| ${r.join(' | ')} |`)].join(
    '\n',
  );

/** Pure: each target with the number it is judged on; a phase that did not finish leaves its targets unmeasured. */
export function targets(r: Json): Target[] {
  const out: Target[] = [];
  const i = r.ingest;
  if (i) {
    out.push(
      {
        target: 'ingest ≥ 500k logs/s',
        measured: `${n(i.sustained.recordsPerS)} logs/s (${i.sustained.connections} connections × 1000 records)`,
        reached: i.sustained.recordsPerS >= 500_000,
      },
      {
        target: 'durable-ack p99 < 50 ms, light load',
        measured: `${ms(i.light.ackMs.p99)} (1 connection × 100 records)`,
        reached: i.light.ackMs.p99 < 50,
      },
      {
        target: 'durable-ack p99 < 50 ms, sustained load',
        measured: ms(i.sustained.ackMs.p99),
        reached: i.sustained.ackMs.p99 < 50,
      },
      ...[i.queryable, i.queryableSaturated].map((x: Json) => ({
        target: `queryable p99 < 250 ms, background ${n(x.background.recordsPerS)} records/s${x.background.ratePerSecond ? ' (paced)' : ' (saturating)'}`,
        measured: `${ms(x.queryableMs.p99)} (${x.markers} markers)`,
        reached: x.queryableMs.p99 < 250,
      })),
      {
        target: 'issue 10: ingest → queryable p99 < 1 s at the maximum',
        measured: `${ms(i.queryableSaturated.queryableMs.p99)} under ${n(i.queryableSaturated.background.recordsPerS)} records/s closed-loop background`,
        reached: i.queryableSaturated.queryableMs.p99 < 1000,
      },
    );
  }
  for (const q of r.queryLatency?.queries.slice(0, 3) ?? []) {
    out.push({
      target: `${q.name} < 150 ms`,
      measured: `warm median ${ms(q.warmMs.p50)}, cold ${ms(q.coldMs)}`,
      reached: q.warmMs.p50 < 150 && q.coldMs < 150,
    });
  }
  // Issue 10's embedded targets, judged on the side-by-side run against VictoriaLogs in the same run.
  for (const t of r.yardstick ? yardstickTargets(r.yardstick) : []) out.push({ ...t, target: `issue 10: ${t.target}` });
  const c = r.queryData?.compression;
  if (c)
    out.push({
      target: '≥ 10× compression vs NDJSON',
      measured: `${c.ratioNdjsonToDisk}×`,
      reached: c.ratioNdjsonToDisk >= 10,
    });
  return out;
}

/** Pure: server CPU per record and what it would allow with the machine to itself (a projection, not a measurement). */
export function capacity(s: Json, cores: number) {
  const perRecordUs = (s.cores.server / s.recordsPerS) * 1e6;
  const main = s.cores.serverThreads.find((t: Json) => t.thread === 'MainThread')?.cores ?? s.cores.server;
  const mainUs = (main / s.recordsPerS) * 1e6;
  return {
    perRecordUs: Math.round(perRecordUs * 10) / 10,
    mainUs: Math.round(mainUs * 10) / 10,
    projected: Math.round(Math.min(cores / perRecordUs, 1 / mainUs) * 1e6),
  };
}

/** Pure: cores the ClickHouse merge threads used. */
function mergeCores(threads: Json[]): number {
  return threads.find((t) => t.thread === 'MergeMutate')?.cores ?? 0;
}

/** Pure: one ingest→queryable run as a paragraph. */
function queryableText(x: Json): string {
  const bg = x.background;
  const shape = bg.ratePerSecond
    ? `paced at ${bg.ratePerSecond} requests/s × 1000 records over ${bg.connections} connections`
    : `${bg.connections} connections × 1000 records, closed loop`;
  const refusals =
    x.refusedMarkers === undefined
      ? ''
      : ` Answers to the background: ${JSON.stringify(bg.statuses)} (a 429 holds its connection back for its Retry-After).`;
  return `Background ${shape}: ${n(bg.recordsPerS)} records/s, ack ${lat(bg.ackMs)}.${refusals}

- marker ack: ${lat(x.ackMs)}${x.refusedMarkers ? ` (${x.refusedMarkers} markers refused first and sent again after Retry-After; queryable counts from the acknowledged request)` : ''}
- marker queryable: ${lat(x.queryableMs)}
- searches that missed a marker after its 202: ${x.pollsAfterAck} (0 would mean the 202 is read-your-write; behind the log a record becomes searchable with its batch, up to WAL_BATCH_WAIT_MS later)`;
}

/** Pure: the Markdown report; a section whose phase did not finish says so instead. */
export function renderReport(r: Json): string {
  const failed = Object.entries(r.failures ?? {}).map(([phase, why]) => `- **${phase}** did not finish: ${why}`);
  return [
    header(r),
    `## Targets\n\n${table(
      ['target', 'measured', 'reached'],
      targets(r).map((t) => [t.target, t.measured, t.reached ? 'yes' : '**no**']),
    )}\n`,
    failed.length > 0 ? `## Phases that did not finish\n\n${failed.join('\n')}\n` : '',
    r.ingest ? ingestSection(r.ingest, r.machine) + queryableSection(r.ingest) : '',
    r.queryLatency ? querySection(r.queryData, r.queryLatency) : '',
    r.queryData ? compressionSection(r.queryData.compression, r.queryData.load1m) : '',
    r.compressionVariants ? compressionVariantsSection(r.compressionVariants) : '',
    '## 5. Where the time goes\n',
    r.profile ? profileSection(r.profile) : '',
    r.insertCost ? jsSection(r.insertCost) + insertCostSection(r.insertCost) : '',
    r.protocols ? protocolsSection(r.protocols) : '',
    r.authOverhead ? authSection(r.authOverhead) : '',
    r.yardstick ? yardstickSection(r.yardstick) : '',
  ]
    .filter(Boolean)
    .join('\n');
}

function header(r: Json): string {
  const m = r.machine;
  return `# Embedded mode benchmark

${r.date} · \`${r.command}\` · ${r.durationS} s in all (${Object.entries(r.phaseSeconds)
    .map(([k, v]) => `${k} ${v} s`)
    .join(', ')})

Each phase last ran at: ${Object.entries(r.phaseRunAt ?? {})
    .map(([k, v]) => `${k} ${String(v).slice(0, 16).replace('T', ' ')}`)
    .join(', ')} (UTC); \`node bench/embedded.ts --only a,b\` re-runs some phases and keeps the others.

**Machine:** ${m.cpus} × ${m.cpuModel}, ${m.ramGiB} GiB RAM, Node ${m.node}, ${m.platform}. Load average at start ${m.loadavg.join(' / ')}, at end ${m.loadavgAtEnd.join(' / ')}; CPU pressure (share of time a task waited for a CPU) avg60 ${m.cpuPressure?.avg60 ?? '?'}% at start, ${m.cpuPressureAtEnd?.avg60 ?? '?'}% at end.
The machine is shared: other builds and tests ran during the benchmark, so wall-clock numbers are lower and noisier than on an idle machine ("other processes' cores" shows how much of the ${m.cpus} cores they took during a window). CPU time per record is the steadier figure.
`;
}

function ingestSection(i: Json, m: Json): string {
  const s = i.sustained;
  const cap = capacity(s, m.cpus);
  return `## 1. Ingest throughput and acknowledgement latency

The real server (\`services/embedded/src/main.ts\`) as a child process with a fresh temporary DATA_DIR and no demo traffic. Clients run in a worker thread of another process, over keep-alive HTTP to 127.0.0.1, each connection posting NDJSON and waiting for the 202 before the next request (closed loop). Request bodies come from a pool built before the clock starts (sample-shop records stamped with the current time, ~318 bytes each as JSON). Only requests that start after the warm-up and end inside the window count; latency is request start → 202 (the rows are fsync'd in the local log, DATA_DIR/wal; the log processor inserts them in batches: whatever arrived within WAL_BATCH_WAIT_MS, 250 ms, or WAL_BATCH_MAX_BYTES, 32 MiB; beyond WAL_MAX_LAG_MS of lag, 2 s, a request waits for the store before its body is read).

${table(
  [
    'load',
    'records/s',
    'MB/s (NDJSON)',
    'ack latency',
    'rows/insert',
    'insert ms',
    'writer busy',
    'server cores (merges)',
    'server CPU µs/record',
    "other processes' cores",
  ],
  [i.light, s].map((x: Json) => [
    `${x.connections} × ${x.recordsPerRequest} rec, ${x.windowS} s${x === s ? ' (**sustained**)' : x === i.light ? ' (light)' : ''}`,
    n(x.recordsPerS),
    x.mbPerS,
    lat(x.ackMs),
    n(x.processor.meanRowsPerInsert),
    x.processor.meanInsertMs,
    x.processor.writerBusy,
    `${x.cores.server} (${mergeCores(x.cores.serverThreads)})`,
    capacity(x, m.cpus).perRecordUs,
    Math.round((x.cores.machine - x.cores.server - x.cores.client) * 100) / 100,
  ]),
)}

Rows/insert, insert ms and writer busy (share of the window the single writer spent inside \`store.insert\`) come from the server's own /metrics, scraped at the window's edges. Statuses: sustained ${JSON.stringify(s.statuses)}.

**Server CPU per record (sustained): ${cap.perRecordUs} µs** (${s.cores.server} cores for ${n(s.recordsPerS)} records/s), of which the JS main thread ${cap.mainUs} µs. With the ${m.cpus} cores to itself the server could reach at most ≈ **${n(cap.projected)} records/s** (projection: min(cores ÷ CPU per record, 1 ÷ main-thread CPU per record); it ignores the client's own CPU).

Server CPU by thread (sustained window, cores): ${s.cores.serverThreads.map((t: Json) => `${t.thread} ${t.cores}`).join(', ')}. MainThread is Node's JS thread (HTTP, decode, normalise); MergeMutate are ClickHouse background merges; ThreadPool and libuv-worker run the inserts; V#Worker are V8's GC helpers.
`;
}

function queryableSection(i: Json): string {
  return `## 2. Ingest → queryable

Marker records, one at a time, each with a unique word, sent while a background load runs. Timed from the marker's POST until \`GET /api/v1/logs?q=<marker>\` first returns it; the first search goes out right after the 202, then every 2 ms.

**Moderate load.** ${queryableText(i.queryable)}

**Saturating load.** ${queryableText(i.queryableSaturated)}
`;
}

function querySection(qd: Json, ql: Json): string {
  return `## 3. Query latency on ${n(qd.big.rows)} rows

${n(qd.load1m.records)} sample-shop records spread evenly over the last 24 h, normalised as the collector does (\`normalizeRecord\`) and written with \`store.insert\` in 50k-row batches (${qd.load1m.insertS} s, ${n(qd.load1m.insertRowsPerS)} rows/s in-process), then **multiplied ×${qd.big.copies} inside ClickHouse** (\`INSERT … SELECT … ARRAY JOIN range(${qd.big.copies})\`, ${qd.big.multiplyS} s): copies shift timestamps by a fraction of the spacing between records and get fresh ids, but repeat bodies and attributes. ${qd.big.activeParts} active parts after merges settled (${qd.big.mergeWaitS} s). Queries go through \`store.search\` / \`store.histogram\` with a \`parseQuery\` filter, tenant "default", in a **fresh process**: cold = the first run of each query in the order listed (ClickHouse caches empty, OS page cache warm); warm = 10 more runs with \`SETTINGS use_query_condition_cache = 0\` appended to the store's SQL; the last column repeats them with the cache on (the default). Matches: "breaker" ${n(ql.matches.rare)} rows, "GET" ${n(ql.matches.common)} rows.

${table(
  ['query', 'cold', 'warm p50', 'warm p90', 'warm max', 'warm, condition cache on'],
  ql.queries.map((q: Json) => [
    q.name,
    ms(q.coldMs),
    ms(q.warmMs.p50),
    ms(q.warmMs.p90),
    ms(q.warmMs.max),
    ms(q.warmWithConditionCacheMs),
  ]),
)}

Variant (bench-only SQL): the histogram from a per-minute rollup table (${n(ql.histogramFromRollup.rollupRows)} rows; what a materialized view would maintain): cold ${ms(ql.histogramFromRollup.coldMs)}, warm ${lat(ql.histogramFromRollup.warmMs)}.
`;
}

function compressionSection(c: Json, load1m: Json): string {
  return `## 4. Compression (the 1M real records, not the copies)

After \`OPTIMIZE TABLE … FINAL\` (${load1m.optimizeFinalS} s; ${c.parts} active parts). Sizes from \`system.parts\` (active), \`system.columns\` and \`system.data_skipping_indices\`.

- NDJSON as the clients sent it: ${mb(c.ndjsonBytes)}; stored JSONEachRow lines: ${mb(c.storedJsonEachRowBytes)}
- on disk: ${mb(c.bytesOnDisk)} (${c.bytesPerRecordOnDisk} bytes/record): column data ${mb(c.columnDataCompressedBytes)} (from ${mb(c.columnDataUncompressedBytes)} uncompressed), skip indexes ${mb(c.skipIndexBytes)}, marks ${mb(c.marksBytes)}
- **ratio ${c.ratioNdjsonToDisk}× vs NDJSON**, ${c.ratioStoredToDisk}× vs the stored JSONEachRow, ${c.ratioNdjsonToColumnData}× vs column data only

${table(
  ['column', 'compressed', 'ratio'],
  c.columns.slice(0, 8).map((x: Json) => [x.name, mb(x.compressed), `${x.ratio}×`]),
)}

Skip indexes: ${c.indexes.map((x: Json) => `${x.name} ${mb(x.compressed)}`).join(', ')}.
`;
}

function compressionVariantsSection(cv: Json): string {
  return `Schema variants, each a copy of the same 1M rows into a changed table, merged with OPTIMIZE FINAL (bench-only DDL):

${table(
  ['variant', 'bytes/record', 'ratio vs NDJSON', 'id', 'trace_id', 'span_id', 'body', 'attributes'],
  cv.variants.map((v: Json) => [
    v.name,
    v.bytesPerRecord,
    `${v.ratioNdjsonToDisk}×`,
    mb(v.columns.id),
    mb(v.columns.trace_id),
    mb(v.columns.span_id),
    mb(v.columns.body),
    mb(v.columns.attributes),
  ]),
)}
`;
}

function profileSection(p: Json): string {
  return `### Server JS profile
\`node --cpu-prof\` on the real server under ${p.windowS} s of load (8 connections × 1000 records, ${n(p.recordsPerS)} records/s, ${p.serverCores} server cores); self time over the steady-state window (${n(p.sampledMs)} ms sampled) of the JS thread. "(idle)" is the thread waiting (for inserts or requests).

${table(
  ['function (self time)', 'share', 'ms'],
  p.functions.map((f: Json) => [`\`${f.name}\``, `${f.pct}%`, f.ms]),
)}

By package: ${p.packages
    .slice(0, 10)
    .map((p: Json) => `${p.name} ${p.pct}%`)
    .join(', ')}.
`;
}

function jsSection(ic: Json): string {
  return `### The collector's JS per record
Timed over 100k sample records in one process (after a warm-up pass): parse ${ic.jsPerRecord.parse.cpuUs} µs (\`JSON.parse\` of an NDJSON line), normalise ${ic.jsPerRecord.normalize.cpuUs} µs (\`normalizeRecord\`), serialise ${ic.jsPerRecord.stringify.cpuUs} µs (\`JSON.stringify\`) — CPU time per record. Stored lines average ${ic.avgStoredLineBytes} bytes.
`;
}

function insertCostSection(ic: Json): string {
  return `### chdb insert cost
\`store.insert\` of distinct normalised rows into the current schema, merges stopped (\`SYSTEM STOP MERGES\`) so only the insert is timed; wall time median and minimum, process CPU per row (all threads).

${table(
  ['rows/insert', 'reps', 'median', 'min', 'rows/s (median)', 'CPU µs/row'],
  ic.storeInsert.map((t: Json) => [n(t.rows), t.reps, ms(t.medianMs), ms(t.minMs), n(t.rowsPerS), t.cpuUsPerRow]),
)}

Variants, each a fresh table (the real migration, then ALTERs) or the same table with changed insert settings, through \`Session.insert\` with the transport's settings; all cases timed round-robin so other load falls on each alike. Differences under ~20% are within this machine's noise.

${table(
  [
    'variant',
    '1k median (min)',
    '10k median (min)',
    '50k median (min)',
    'CPU µs/row 1k / 10k / 50k',
    'bytes/row on disk',
  ],
  ic.variants.map((v: Json) => [
    v.name,
    `${v.at1k.medianMs} (${v.at1k.minMs})`,
    `${v.at10k.medianMs} (${v.at10k.minMs})`,
    `${v.at50k.medianMs} (${v.at50k.minMs})`,
    `${v.at1k.cpuUsPerRow} / ${v.at10k.cpuUsPerRow} / ${v.at50k.cpuUsPerRow}`,
    v.bytesPerRow,
  ]),
)}

${table(
  ['50k-row batch as', 'median', 'min', 'rows/s (median)', 'CPU µs/row'],
  ic.parallel.map((t: Json) => [t.name, ms(t.medianMs), ms(t.minMs), n(t.rowsPerS), t.cpuUsPerRow]),
)}
`;
}

function protocolsSection(p: Json): string {
  const rows = p.protocols.map((x: Json) =>
    x.error
      ? [x.protocol, '—', '—', '—', '—', `not measured: ${x.error}`]
      : x.ackMs
        ? [x.protocol, n(x.recordsPerS), x.bytesPerRecord, lat(x.ackMs), x.serverCores, JSON.stringify(x.statuses)]
        : [
            x.protocol,
            n(x.recordsPerS),
            '—',
            `${n(x.records)} records sent in ${x.sentS} s, all stored after ${x.storedS} s`,
            x.serverCores,
            '—',
          ],
  );
  return `## 6. Ingest throughput per protocol

The real server as a child process, the same sample-shop records encoded as each protocol's clients send them (\`bench/lib/protocol-bodies.ts\`), ${p.recordsPerRequest} records per request over ${p.connections} keep-alive connections, closed loop, 3 s warm-up then a 10 s window; a request counts when it got the protocol's success status (202, 200 or 204: the records are fsync'd in the local log). Syslog has no acknowledgement: ${p.connections} TCP connections write RFC 5424 octet-counted frames as fast as the socket takes them, timed until the processor's inserted-records counter has them all.

${table(['protocol', 'records/s', 'bytes/record sent', 'ack latency', 'server cores', 'statuses'], rows)}
`;
}

function authSection(a: Json): string {
  const p50s = (side: 'authOff' | 'authOn', i: number) =>
    a.rounds.map((r: Json) => r[side].queries[i].ms.p50).join(' / ');
  const rows = a.rounds[0].authOff.queries.map((q: Json, i: number) => [
    q.query,
    p50s('authOff', i),
    p50s('authOn', i),
    a.authOnTenTenants.queries[i].ms.p50,
  ]);
  const ingest = (side: 'authOff' | 'authOn') => a.rounds.map((r: Json) => n(r[side].ingest.recordsPerS)).join(' / ');
  return `## 7. Cost of API keys and tenancy

The real server, fresh for each case, ${n(a.recordsPerTenant)} sample records ingested per tenant (4 connections × 1000 records), then each query ${a.runsPerQuery} times in sequence after 5 warm-up runs (HTTP round trip on 127.0.0.1). "Keys" = a hashed keys file of ${n(a.keysInFile)} keys, every request authenticated by it; auth off and keys alternate for ${a.rounds.length} rounds, which of them runs first swapping each round (${a.rounds.map((r: Json) => r.first).join(', ')} first), so the machine's drift falls on both. "${a.tenants} tenants" = the last keyed server after ${a.tenants - 1} more tenants stored as many rows each: the table holds ${a.tenants}× the rows and every query's tenant filter must skip the others' data.

Median latency (ms) per round:

${table(['query', 'auth off', 'keys, 1 tenant', `keys, ${a.tenants} tenants (last round)`], rows)}

Ingest records/s per round: auth off ${ingest('authOff')}; keys ${ingest('authOn')}.

One keyring lookup (parse the token, find its id among ${n(a.keysInFile)}, SHA-256, constant-time compare), in process: **${a.lookupCpuUs.knownKeyUs} µs** CPU for a known key, ${a.lookupCpuUs.unknownKeyUs} µs for an unknown one — once per request, so per 1000-record request it is noise next to the rest.
`;
}
