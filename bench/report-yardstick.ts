// Renders the side-by-side phase (bench/yardstick.ts) as a section of the bench report. Every
// figure is shown for both systems with ours ÷ VictoriaLogs beside it.
type Json = any;

const n = (x: number) => Math.round(x).toLocaleString('en-US');
const mb = (bytes: number) => `${(bytes / 1e6).toFixed(1)} MB`;
const table = (head: string[], rows: (string | number)[][]) =>
  [`| ${head.join(' | ')} |`, `|${head.map(() => '---').join('|')}|`, ...rows.map((r) => `| ${r.join(' | ')} |`)].join(
    '\n',
  );

/** Pure: ours ÷ VictoriaLogs, as "2.31×"; "—" when either side is missing or zero. */
export function ratio(ours: number | undefined, victoria: number | undefined): string {
  if (!ours || !victoria) return '—';
  const r = ours / victoria;
  return `${r >= 10 ? r.toFixed(0) : r >= 1 ? r.toFixed(2) : r.toPrecision(2)}×`;
}

/** Pure: ours' bytes once merged-away parts are deleted: of store/ only the active parts (older results: as recorded). */
function kept(x: Json): number {
  return x.partsBytes === undefined ? x.bytesWithoutOutdated : x.bytes - (x.entries.store ?? 0) + x.partsBytes;
}

/** Pure: a directory's top-level entries of 1 MB or more, largest first. */
function entries(e: Record<string, number>): string {
  const big = Object.entries(e)
    .filter(([, b]) => b >= 1e6)
    .sort((a, b) => b[1] - a[1]);
  return big.map(([name, b]) => `${name}/ ${mb(b)}`).join(', ') || 'nothing over 1 MB';
}

/** Pure: the median cores other people's work used during each system's windows. */
function limits(y: Json): string {
  const at = (key: string) => y.summary.map((s: Json) => s[key].otherCores).join(' / ');
  return `ours ${at('ours')}, VictoriaLogs ${at('victoria')} at ${y.config.connections.join(' / ')} connections`;
}

/** Pure: where ours' CPU per record went, thread by thread (runs before it was measured have none). */
function roles(y: Json): string {
  const measured = y.summary.filter((s: Json) => s.ours.cpuUsPerRecordByRole);
  if (measured.length === 0) return '';
  const names = [...new Set(measured.flatMap((s: Json) => Object.keys(s.ours.cpuUsPerRecordByRole)))] as string[];
  const rows = names.map((role) => [role, ...measured.map((s: Json) => s.ours.cpuUsPerRecordByRole[role] ?? 0)]);
  return `Where ours' CPU goes, in µs per record (window + settle, median of rounds), by thread: the event loop (HTTP, the log's appends, answers), the ingest threads (decode, normalise, serialise), V8's helpers (garbage collection, compiling), libuv's pool (fsync, zlib) and the ClickHouse engine's threads (inserts, merges); "ended threads" is CPU of threads that had exited by the reading (ClickHouse's per-query threads).

${table(['thread', ...measured.map((s: Json) => `${s.connections} conn`)], rows)}

`;
}

/** Pure: the paced windows' table (runs before they were measured have none). */
function paced(y: Json): string {
  if (!y.paced) return '';
  const [o, v] = ['ours', 'victoria'].map((k) => y.paced.find((p: Json) => p.system === k));
  const fmt = (x: number) => (x >= 1000 ? n(x) : String(x));
  const row = (what: string, a: number, b: number, unit = '') => [
    what,
    `${fmt(a)}${unit}`,
    `${fmt(b)}${unit}`,
    ratio(a, b),
  ];
  const every = (p: Json) => Math.round((y.config.recordsPerRequest / p.recordsPerS) * 10_000) / 10;
  return `**A steady rate with capacity to spare.** After the rounds, each system got the same ${n(y.config.pacedRecords)} further records at half its own best median rate above, one request every ${every(o)} / ${every(v)} ms (ours / VictoriaLogs) sent at its scheduled time whether or not earlier ones were answered (open loop); latency is from the scheduled time to the 2xx, so a client or server that falls behind is counted. CPU per record is the window plus the drain and quiet wait, as above.

${table(
  ['figure', 'ours', 'VictoriaLogs', 'ours ÷ VictoriaLogs'],
  [
    row('records/s sent (half the best median)', o.recordsPerS, v.recordsPerS),
    row('ack latency p50', o.ackMs.p50, v.ackMs.p50, ' ms'),
    row('ack latency p90', o.ackMs.p90, v.ackMs.p90, ' ms'),
    row('ack latency p99', o.ackMs.p99, v.ackMs.p99, ' ms'),
    row('ack latency max', o.ackMs.max, v.ackMs.max, ' ms'),
    row('server CPU µs/record', o.cpuUsPerRecord, v.cpuUsPerRecord),
    ['load at the start', o.load[0], v.load[0], ''],
  ],
)}

`;
}

/** A target of issue 10 judged on the side-by-side run, with VictoriaLogs' figure from the same run beside ours. */
export interface YardTarget {
  target: string;
  measured: string;
  reached: boolean;
}

/**
 * Pure: issue 10's targets for the embedded pipeline that the side-by-side run measures. Disk is the store
 * after its final merge without the local log, whose one open segment (up to WAL_SEGMENT_BYTES) does not grow
 * with the data.
 */
export function yardstickTargets(y: Json): YardTarget[] {
  const best = (key: 'ours' | 'victoria') => Math.max(...y.summary.map((s: Json) => s[key].recordsPerS));
  const worstP99 = (key: 'ours' | 'victoria') => Math.max(...y.summary.map((s: Json) => s[key].ackMs.p99));
  const vs = (ours: number, victoria: number, unit = '') =>
    `${ours >= 1000 ? n(ours) : ours}${unit} (VictoriaLogs ${victoria >= 1000 ? n(victoria) : victoria}${unit}, ${ratio(ours, victoria)})`;
  const out: YardTarget[] = [
    {
      target: 'embedded ≥ 150,000 logs/s sustained',
      measured: `${vs(best('ours'), best('victoria'), ' logs/s')}, best median of rounds`,
      reached: best('ours') >= 150_000,
    },
    {
      target: 'server CPU ≤ 10 µs a record, later merges included',
      measured: `${vs(y.cpuUsPerRecordWholeRun.ours, y.cpuUsPerRecordWholeRun.victoria, ' µs')}, whole run`,
      reached: y.cpuUsPerRecordWholeRun.ours <= 10,
    },
    {
      target: 'durable ack p99 < 100 ms at the maximum',
      measured: `${vs(worstP99('ours'), worstP99('victoria'), ' ms')}, the worse connection count`,
      reached: worstP99('ours') < 100,
    },
  ];
  const [o, v] = ['ours', 'victoria'].map((k) => y.paced?.find((p: Json) => p.system === k));
  if (o && v)
    out.push({
      target: 'durable ack p99 < 10 ms at half the sustained maximum',
      measured: `${vs(o.ackMs.p99, v.ackMs.p99, ' ms')} at ${n(o.recordsPerS)} logs/s`,
      reached: o.ackMs.p99 < 10,
    });
  const perRecord = (bytes: number) => Math.round((bytes / y.data.records) * 10) / 10;
  const store = kept(y.disk.ours.merged) - (y.disk.ours.merged.entries.wal ?? 0);
  const victoria = y.disk.victoria.merged.bytes;
  out.push(
    {
      target: "disk per record ≤ VictoriaLogs'",
      measured: `${vs(perRecord(store), perRecord(victoria), ' B')}, after the final merge, without the local log`,
      reached: store <= victoria,
    },
    {
      target: '≥ 10× smaller than the NDJSON sent',
      measured: `${(y.data.ndjsonBytes / store).toFixed(1)}× (VictoriaLogs ${(y.data.ndjsonBytes / victoria).toFixed(1)}×)`,
      reached: y.data.ndjsonBytes / store >= 10,
    },
    ...y.queries.map((q: Json) => ({
      target: `${q.name}: no slower than VictoriaLogs`,
      measured: `${vs(q.ours.warmMs.p50, q.victoria.warmMs.p50, ' ms')}, warm median`,
      reached: q.ours.warmMs.p50 <= q.victoria.warmMs.p50 && q.ours.right,
    })),
  );
  return out;
}

export function yardstickSection(y: Json): string {
  const c = y.config;
  const records = y.data.records;
  const perRecord = (bytes: number) => Math.round((bytes / records) * 10) / 10;
  const summaryRows = y.summary.flatMap((s: Json) => {
    const o = s.ours;
    const v = s.victoria;
    const fmt = (x: number) => (x >= 1000 ? n(x) : String(x));
    const row = (what: string, a: number, b: number, unit = '') => [
      `${s.connections} conn: ${what}`,
      `${fmt(a)}${unit}`,
      `${fmt(b)}${unit}`,
      ratio(a, b),
    ];
    return [
      row('records/s (median of rounds)', o.recordsPerS, v.recordsPerS),
      row('ack latency p50', o.ackMs.p50, v.ackMs.p50, ' ms'),
      row('ack latency p99', o.ackMs.p99, v.ackMs.p99, ' ms'),
      row('server CPU µs/record, window + settle', o.cpuUsPerRecord, v.cpuUsPerRecord),
      row('server CPU µs/record, window only', o.cpuUsPerRecordWindow, v.cpuUsPerRecordWindow),
      row('server cores in the window (median)', o.serverCores, v.serverCores),
      row('client cores in the window (median)', o.clientCores, v.clientCores),
    ];
  });
  const whole = y.cpuUsPerRecordWholeRun;
  const d = y.disk;
  const diskRow = (what: string, ours: number, victoria: number) => [
    what,
    `${mb(ours)} (${perRecord(ours)} B)`,
    `${mb(victoria)} (${perRecord(victoria)} B)`,
    ratio(ours, victoria),
  ];
  const ndjson = y.data.ndjsonBytes;
  const span = (key: string) => {
    const s = y.windows.filter((w: Json) => w.system === key).map((w: Json) => w.windowS);
    return `${Math.min(...s)}–${Math.max(...s)}`;
  };
  const windows = y.windows.map((w: Json) => [
    w.round,
    w.system === 'ours' ? 'ours' : 'VictoriaLogs',
    w.connections,
    n(w.recordsPerS),
    `${w.ackMs.p50} / ${w.ackMs.p99}`,
    w.windowS,
    w.serverCores,
    w.clientCores,
    `${w.cpuUsPerRecordWindow} / ${w.cpuUsPerRecord}`,
    `${w.drainS ?? 0} + ${Math.round((w.settleS - (w.drainS ?? 0)) * 10) / 10}${w.settled ? '' : ' (not quiet)'}`,
    w.otherCores,
    w.load[0],
    w.cut || Object.keys(w.statuses).some((s) => !s.startsWith('2'))
      ? `**${JSON.stringify(w.statuses)}${w.cut ? ' cut' : ''}**`
      : JSON.stringify(w.statuses),
  ]);
  const queries = y.queries.map((q: Json) => [
    q.name,
    `${q.ours.warmMs.p50} ms (first ${q.ours.firstMs})`,
    `${q.victoria.warmMs.p50} ms (first ${q.victoria.firstMs})`,
    ratio(q.ours.warmMs.p50, q.victoria.warmMs.p50),
    `${q.ours.right ? 'yes' : '**no**'} / ${q.victoria.right ? 'yes' : '**no**'}`,
    q.load[0],
  ]);
  return `## 8. Side by side with VictoriaLogs

VictoriaLogs ${y.victoriaLogs.version} single-node (built with \`go install\` into the user cache on first use; a yardstick for the bench, not a dependency) and the real embedded server, each a child process on 127.0.0.1 with a fresh temporary data directory, both running for the whole phase. Load at the phase's end: ${y.load.join(' / ')}.

**Data.** ${n(records)} distinct records (\`bench/lib/yard-records.ts\`, seeded): service (8), level, a message of varied words with a unique request id and other ids and numbers, an RFC 3339 timestamp spread over the hour before the run, six attributes; **${y.data.ndjsonBytesPerRecord} bytes/record as NDJSON**, ${c.recordsPerRequest} records per request, ${mb(ndjson)} in all. Every body is generated once before any server starts and every system gets exactly the same bodies, each once: no body is ever sent twice, so neither compression nor skip indexes meet copies, and both systems end up holding the same ${n(records)} records (checked: the counts below match the generator's). VictoriaLogs ingests them at \`${y.victoriaLogs.ingest}\` (\`application/x-ndjson\`).

**Rounds.** A ${n(c.warmupRecords)}-record warm-up to each (not measured), then ${c.rounds} rounds; in each, for ${c.connections.join(' and ')} connections, a fresh slice of ${n(c.windowRecords)} records goes to one system and then the same slice to the other, who goes first swapping each round. A window is a closed loop (each connection posts its next body when the last one is answered) until the slice is sent; records/s = records ÷ window time; ack latency is request start → 2xx. The slices are fixed work rather than a fixed duration so that both systems end up holding identical data for the disk and query comparisons; windows lasted ${span('ours')} s for ours and ${span('victoria')} s for VictoriaLogs, ${n(c.windowRecords / c.recordsPerRequest)} requests each. **What an ack means differs:** ours answers 202 once the records are fsync'd in its local log (DATA_DIR/wal), and inserts them into chdb in batches afterwards; VictoriaLogs answers 200 once the records are in its in-memory buffers, which it writes to disk within 5 s (\`-inmemoryDataFlushInterval\`) — a crash loses up to that much there, nothing acknowledged in ours.

**CPU.** utime + stime of the server process from \`/proc/<pid>/stat\` (all threads), from the window's start until the server has put away everything it acknowledged (ours: \`instant_logs_wal_unstored_bytes\` 0 at /metrics; VictoriaLogs: no pending rows and no in-memory parts at /metrics, which takes up to its 5 s flush interval) and is then **quiet again** — under ${c.quiet.idleCores} cores for ${c.quiet.quietMs / 1000} s, polled every 250 ms, at most ${c.quiet.maxMs / 1000} s — so the flushes and background merges its load caused are counted; divided by the window's records. The wait also counts the server's idle CPU, which was ${y.idleCores ? `ours ${y.idleCores.ours}, VictoriaLogs ${y.idleCores.victoria} cores` : 'not measured'} once loading was over (${y.idleCores?.seconds ?? '?'} s measured). The whole-run figure is each server's CPU from before the warm-up to the end of loading (every merge, whenever it ran) ÷ all records: **ours ${whole.ours} µs, VictoriaLogs ${whole.victoria} µs per record (${ratio(whole.ours, whole.victoria)})**.

Every figure is given for both with ours ÷ VictoriaLogs beside it: below 1× means ours did less (records/s) or needed less (latency, CPU, disk, query time).

${table(['figure', 'ours', 'VictoriaLogs', 'ours ÷ VictoriaLogs'], summaryRows)}

${roles(y)}${paced(y)}Records/s is what this shared machine gave each system, not what either can do alone: with 2 cores, the server, this bench's client (one Node process posting the bodies) and other people's work (median cores taken during the windows: ${limits(y)}) compete. Server CPU per record is the steadier comparison.

Each window (latency p50 / p99 in ms; CPU µs/record in the window / with settle; "others' cores" = the machine's busy cores minus both servers and this client, i.e. other people's work; load = 1-minute load average at the window's start):

${table(['round', 'system', 'conn', 'records/s', 'ack p50 / p99', 'window s', 'server cores', 'client cores', 'CPU µs/rec', 'drain + quiet s', "others' cores", 'load', 'statuses'], windows)}

**Disk** (\`du -sb\` of each data directory, everything in it: for ours the chdb store and metadata and the local log (wal/), all in DATA_DIR; for VictoriaLogs its partitions and index). Bytes per record in parentheses; NDJSON sent: ${y.data.ndjsonBytesPerRecord} B/record.

${table(
  ['when', 'ours', 'VictoriaLogs', 'ours ÷ VictoriaLogs'],
  [
    diskRow('after loading, servers running and quiet', d.ours.running.bytes, d.victoria.running.bytes),
    diskRow(
      'ours stopped, merged-away parts not counted; VictoriaLogs as above',
      kept(d.ours.reopened),
      d.victoria.running.bytes,
    ),
    diskRow("after each one's final merge", kept(d.ours.merged), d.victoria.merged.bytes),
    diskRow(
      'same, ours without its local log (wal/)',
      kept(d.ours.merged) - (d.ours.merged.entries.wal ?? 0),
      d.victoria.merged.bytes,
    ),
  ],
)}

After the final merge ours held ${entries({ ...d.ours.merged.entries, store: d.ours.merged.partsBytes })} (of store/ its active parts); VictoriaLogs ${entries(d.victoria.merged.entries)}. The local log deletes segments once their records are stored but keeps the one it appends to (up to WAL_SEGMENT_BYTES, 64 MiB by default), so its share per record shrinks as data grows. Compression vs NDJSON after the final merge: ours ${(ndjson / kept(d.ours.merged)).toFixed(1)}×, VictoriaLogs ${(ndjson / d.victoria.merged.bytes).toFixed(1)}×. VictoriaLogs' running figure is taken once \`/internal/force_flush\` was called and its /metrics showed no pending rows and no in-memory parts (${d.victoria.running.onDiskWaitS} s later; it then held ${n(d.victoria.running.rows)} rows). ClickHouse keeps parts that a merge replaced on disk for up to 8 minutes (\`old_parts_lifetime\`): the second and later rows count, of ours' store/, only the active parts (\`system.parts\`, read after the server stopped: ${d.ours.reopened.activeParts} active parts then), and everything outside store/ as \`du\` saw it; the first row's surplus is parts already merged away (${mb(d.ours.running.bytes - kept(d.ours.reopened))}). Final merge: VictoriaLogs \`/internal/force_merge\` of each day's partition, waited for until it logged the end (${d.victoria.merged.mergeS} s, ${d.victoria.merged.mergeCpuS} CPU s); ours: the server stopped, then \`OPTIMIZE TABLE … FINAL\` on its directory (${d.ours.merged.mergeS} s; ${d.ours.merged.activeParts} active parts, ${n(d.ours.merged.partsBytes)} bytes of them).

**Queries** on the loaded data, servers still running (before the final merge), over HTTP on one keep-alive connection, each in its own language over the data's whole time range: a first run, then ${c.queryRuns} runs alternating between the systems; the table shows the median of those. Both systems' own caches stay on, as their users get them. "Right" = the answer matches the generated data (rows returned, and counts per level).

${table(['query', 'ours', 'VictoriaLogs', 'ours ÷ VictoriaLogs', 'right (ours / VL)', 'load'], queries)}

${y.queries.map((q: Json) => `- ${q.name}: \`${q.oursQuery}\` · \`${q.victoriaQuery}\``).join('\n')}
`;
}
