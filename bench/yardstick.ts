// Phase 8: the embedded server side by side with VictoriaLogs single-node (issue 10), both as child
// processes on 127.0.0.1, fed the same pre-generated distinct bodies in interleaved rounds, then
// the same questions in each one's query language. Usage: node bench/yardstick.ts <out.json>
// Sizes come from YARD_ROUNDS, YARD_WINDOW_RECORDS, YARD_WARMUP_RECORDS, YARD_PACED_RECORDS, YARD_QUERY_RUNS;
// YARD_NODE_ARGS adds Node flags to ours.
import { writeFileSync } from 'node:fs';
import { keepAliveAgent, request } from './lib/http.ts';
import { EMBEDDED_NODE_ARGS, startServer, type ServerHandle } from './lib/server.ts';
import { cpuSeconds, load, machineMeter, median, roleCpu, round, summarize, usPerRecordByRole } from './lib/stats.ts';
import {
  startVictoriaLogs,
  victoriaLogsBinary,
  waitOnDisk,
  VICTORIA_LOGS_INGEST,
  VICTORIA_LOGS_VERSION,
} from './lib/victoria-logs.ts';
import { diskUsage, sendPaced, sendSlice, waitQuiet, waitStored, type QuietOptions } from './lib/yard-load.ts';
import { answerIsRight, yardQueries, type Answer } from './lib/yard-queries.ts';
import { yardBodies } from './lib/yard-records.ts';
import { finalMerge } from './lib/yard-merge.ts';

const out = process.argv[2] ?? '/tmp/yardstick.json';
const num = (name: string, fallback: number) => Number(process.env[name] ?? fallback);
const PER_BODY = 1000;
const ROUNDS = num('YARD_ROUNDS', 3);
const CONNECTIONS = [4, 8];
// 1,592,000 a window: 10,002,000 records in all, the ten million distinct records to query; and each
// window lasts 8–25 s, far beyond the 2 s of lag the local log absorbs (WAL_MAX_LAG_MS), so a rate is what the
// store keeps up with. With 400,000 (2.5 s windows) ours measured about twice its sustained rate.
const WINDOW_BODIES = Math.ceil(num('YARD_WINDOW_RECORDS', 1_592_000) / PER_BODY);
const WARMUP_BODIES = Math.ceil(num('YARD_WARMUP_RECORDS', 50_000) / PER_BODY);
// After the closed-loop rounds: a steady rate of half each system's best median, for ack latency with capacity to spare.
const PACED_BODIES = Math.ceil(num('YARD_PACED_RECORDS', 400_000) / PER_BODY);
const QUERY_RUNS = num('YARD_QUERY_RUNS', 5);
const SPAN_MS = 3_600_000; // the records' timestamps cover the hour before the run
const WINDOW_CAP_MS = 120_000;
// Quiet = under 0.05 cores for 1.5 s: flushes and merges after the load are over.
const QUIET: QuietOptions = { idleCores: 0.05, quietMs: 1500, maxMs: 30_000 };

/** `drain` waits until the server holds nothing acknowledged that is not yet where it keeps data. */
type System = {
  key: 'ours' | 'victoria';
  server: ServerHandle;
  ingestPath: string;
  drain: () => Promise<{ waitedS: number }>;
};

/** Pure: each role's median over the windows (a role missing from a window counts as 0 there). */
function medianByRole(windows: Record<string, number>[]): Record<string, number> {
  const roles = new Set(windows.flatMap((w) => Object.keys(w)));
  const medians = [...roles].map((role) => [role, median(windows.map((w) => w[role] ?? 0))] as const);
  return Object.fromEntries(medians.sort((a, b) => b[1] - a[1]));
}

const binary = await victoriaLogsBinary();
const t0 = performance.now();
const toMs = Date.now();
const { bodies, facts } = yardBodies(
  WARMUP_BODIES + ROUNDS * CONNECTIONS.length * WINDOW_BODIES + PACED_BODIES,
  PER_BODY,
  10,
  toMs - SPAN_MS,
  toMs,
);
const generateS = round((performance.now() - t0) / 1000);
const ndjsonBytes = bodies.reduce((n, b) => n + b.length, 0);
console.log(
  `  ${facts.records.toLocaleString('en-US')} distinct records in ${bodies.length} bodies ` +
    `(${round(ndjsonBytes / facts.records)} bytes/record) generated in ${generateS} s`,
);

// Node flags added to `make dev`'s, to compare runtime settings (YARD_NODE_ARGS=--no-single-threaded-gc: V8's default GC).
const oursServer = await startServer({
  nodeArgs: [...EMBEDDED_NODE_ARGS, ...(process.env['YARD_NODE_ARGS'] ?? '').split(' ').filter(Boolean)],
});
// Ours: the local log's records inserted into chdb. VictoriaLogs: its in-memory buffers and parts written to disk.
const ours: System = {
  key: 'ours',
  server: oursServer,
  ingestPath: '/api/v1/logs',
  drain: () => waitStored(oursServer.port),
};
const victoriaServer = await startVictoriaLogs(binary.path);
const victoria: System = {
  key: 'victoria',
  server: victoriaServer,
  ingestPath: VICTORIA_LOGS_INGEST,
  drain: () => waitOnDisk(victoriaServer.port),
};
const systems = [ours, victoria];
const other = (s: System) => (s === ours ? victoria : ours);
const stopped = new Set<System>();
try {
  const cpuAtStart = new Map(systems.map((s) => [s, cpuSeconds(s.server.pid)]));
  const warm = bodies.slice(0, WARMUP_BODIES);
  for (const s of systems) {
    const w = await sendSlice(s.server.port, s.ingestPath, warm, 4, WINDOW_CAP_MS);
    if (w.acked !== warm.length) throw new Error(`${s.key} refused warm-up bodies: ${JSON.stringify(w.statuses)}`);
    await s.drain();
    await waitQuiet(s.server.pid, QUIET);
  }

  /** One measured window: a slice over `connections`, then the wait until the server is quiet. */
  const window = async (s: System, roundNo: number, connections: number, slice: Buffer[]) => {
    const loadBefore = load();
    const cpu0 = cpuSeconds(s.server.pid);
    const roles0 = s === ours ? roleCpu(s.server.pid) : undefined;
    const otherCpu0 = cpuSeconds(other(s).server.pid);
    const self0 = cpuSeconds('self');
    const machine = machineMeter();
    const res = await sendSlice(s.server.port, s.ingestPath, slice, connections, WINDOW_CAP_MS);
    const windowS = res.windowMs / 1000;
    const machineCores = machine();
    const serverWindowCpu = cpuSeconds(s.server.pid) - cpu0;
    const clientCpu = cpuSeconds('self') - self0;
    const busyElsewhere = cpuSeconds(other(s).server.pid) - otherCpu0 + clientCpu;
    const drained = await s.drain();
    const settle = await waitQuiet(s.server.pid, QUIET);
    const records = res.acked * PER_BODY;
    const cpuWithSettle = cpuSeconds(s.server.pid) - cpu0;
    // Where our CPU goes, thread by thread, merges after the window included.
    const cpuUsPerRecordByRole = roles0 ? usPerRecordByRole(roles0, roleCpu(s.server.pid), records) : undefined;
    console.log(
      `  round ${roundNo + 1} ${s.key} ×${connections}: ${Math.round(records / windowS).toLocaleString('en-US')} records/s, ` +
        `drained in ${drained.waitedS} s then quiet in ${round(settle.settleS)} s, load ${loadBefore.join(' ')}`,
    );
    return {
      round: roundNo + 1,
      system: s.key,
      connections,
      records,
      windowS: round(windowS, 2),
      recordsPerS: Math.round(records / windowS),
      ackMs: summarize(res.latenciesMs),
      latenciesMs: res.latenciesMs,
      statuses: res.statuses,
      cut: res.cut,
      serverCores: round(serverWindowCpu / windowS, 2),
      // This process sends the bodies; on 2 shared cores it can be what limits the faster server.
      clientCores: round(clientCpu / windowS, 2),
      // The rest of the machine: other people's work, not this bench's client or the idle yardstick.
      otherCores: round(machineCores - serverWindowCpu / windowS - busyElsewhere / windowS, 2),
      drainS: drained.waitedS,
      settleS: round(drained.waitedS + settle.settleS),
      settled: settle.quiet,
      cpuUsPerRecordWindow: round((serverWindowCpu / records) * 1e6),
      cpuUsPerRecord: round((cpuWithSettle / records) * 1e6),
      ...(cpuUsPerRecordByRole ? { cpuUsPerRecordByRole } : {}),
      load: loadBefore,
    };
  };

  type Window = Awaited<ReturnType<typeof window>>;
  const windows: Window[] = [];
  let slice = WARMUP_BODIES;
  for (let r = 0; r < ROUNDS; r++) {
    // Who goes first swaps each round, so drift in the machine's load falls on both.
    const order = r % 2 === 0 ? [ours, victoria] : [victoria, ours];
    for (const c of CONNECTIONS) {
      const bodiesOfSlice = bodies.slice(slice, slice + WINDOW_BODIES);
      slice += WINDOW_BODIES;
      for (const s of order) windows.push(await window(s, r, c, bodiesOfSlice));
    }
  }

  // Half of each one's best median rate, the same bodies to both, each once the other is quiet.
  const pacedBodies = bodies.slice(slice, slice + PACED_BODIES);
  const paced = [];
  for (const s of systems) {
    const best = Math.max(
      ...CONNECTIONS.map((c) =>
        median(windows.filter((w) => w.system === s.key && w.connections === c).map((w) => w.recordsPerS)),
      ),
    );
    const loadBefore = load();
    const cpu0 = cpuSeconds(s.server.pid);
    const res = await sendPaced(s.server.port, s.ingestPath, pacedBodies, Math.round(best / 2), PER_BODY);
    await s.drain();
    await waitQuiet(s.server.pid, QUIET);
    const records = res.acked * PER_BODY;
    if (res.acked !== pacedBodies.length)
      throw new Error(`${s.key} refused paced bodies: ${JSON.stringify(res.statuses)}`);
    console.log(
      `  paced ${s.key}: ${res.recordsPerS.toLocaleString('en-US')} records/s, ack p99 ${summarize(res.latenciesMs).p99} ms`,
    );
    paced.push({
      system: s.key,
      recordsPerS: res.recordsPerS,
      ofBest: best,
      records,
      windowS: round(res.windowMs / 1000, 2),
      ackMs: summarize(res.latenciesMs),
      statuses: res.statuses,
      cpuUsPerRecord: round(((cpuSeconds(s.server.pid) - cpu0) / records) * 1e6),
      load: loadBefore,
    });
  }

  // Everything acknowledged made searchable (VictoriaLogs buffers up to a second), then quiet.
  await fetch(`http://127.0.0.1:${victoria.server.port}/internal/force_flush`).then((r) => r.arrayBuffer());
  const victoriaOnDisk = await waitOnDisk(victoria.server.port);
  await ours.drain();
  for (const s of systems) await waitQuiet(s.server.pid, QUIET);
  const ingestCpu = Object.fromEntries(systems.map((s) => [s.key, cpuSeconds(s.server.pid) - cpuAtStart.get(s)!]));
  // What each costs doing nothing: part of every settle wait.
  const IDLE_S = 3;
  const idle0 = systems.map((s) => cpuSeconds(s.server.pid));
  await new Promise((r) => setTimeout(r, IDLE_S * 1000));
  const idleCores = {
    seconds: IDLE_S,
    ...Object.fromEntries(systems.map((s, i) => [s.key, round((cpuSeconds(s.server.pid) - idle0[i]!) / IDLE_S, 3)])),
  };
  const diskRunning = Object.fromEntries(systems.map((s) => [s.key, diskUsage(s.server.dataDir)]));

  // Queries: a first run of each, then QUERY_RUNS runs alternating between the systems.
  const agent = keepAliveAgent(1);
  const ask = async (s: System, path: string) => {
    const t = performance.now();
    const res = await request(agent, s.server.port, 'GET', path);
    const ms = performance.now() - t;
    if (res.status !== 200) throw new Error(`${s.key} query ${path} answered ${res.status}: ${res.text.slice(0, 300)}`);
    return { ms, text: res.text };
  };
  const shown = (path: string) => decodeURIComponent(path.replaceAll('+', ' '));
  const queries = [];
  for (const q of yardQueries(facts)) {
    const one = async (s: System) => {
      const first = await ask(s, s === ours ? q.ours : q.victoria);
      const answer: Answer = s === ours ? q.parseOurs(first.text) : q.parseVictoria(first.text);
      return { firstMs: round(first.ms), answer, right: answerIsRight(q.expected, answer), warm: [] as number[] };
    };
    const loadAtStart = load();
    const result = { ours: await one(ours), victoria: await one(victoria) };
    for (let i = 0; i < QUERY_RUNS; i++) {
      for (const s of i % 2 === 0 ? systems : [victoria, ours])
        result[s.key].warm.push((await ask(s, s === ours ? q.ours : q.victoria)).ms);
    }
    const side = (x: typeof result.ours) => ({
      firstMs: x.firstMs,
      warmMs: summarize(x.warm),
      answer: x.answer,
      right: x.right,
    });
    queries.push({
      name: q.name,
      ours: side(result.ours),
      victoria: side(result.victoria),
      expected: q.expected,
      oursQuery: shown(q.ours),
      victoriaQuery: shown(q.victoria),
      load: loadAtStart,
    });
  }
  agent.destroy();

  // Final merge: VictoriaLogs' forced merge of each day's partition; ours stops, then OPTIMIZE FINAL.
  const merged = await finalMerge(ours.server, victoria.server, facts, QUIET);
  stopped.add(ours).add(victoria);

  const bySide = (key: System['key'], c: number) => windows.filter((w) => w.system === key && w.connections === c);
  const summary = CONNECTIONS.map((c) => ({
    connections: c,
    ...Object.fromEntries(
      systems.map((s) => {
        const ws = bySide(s.key, c);
        return [
          s.key,
          {
            recordsPerS: median(ws.map((w) => w.recordsPerS)),
            recordsPerSByRound: ws.map((w) => w.recordsPerS),
            ackMs: summarize(ws.flatMap((w) => w.latenciesMs)),
            cpuUsPerRecord: median(ws.map((w) => w.cpuUsPerRecord)),
            cpuUsPerRecordWindow: median(ws.map((w) => w.cpuUsPerRecordWindow)),
            serverCores: median(ws.map((w) => w.serverCores)),
            clientCores: median(ws.map((w) => w.clientCores)),
            otherCores: median(ws.map((w) => w.otherCores)),
            settleS: median(ws.map((w) => w.settleS)),
            ...(s === ours ? { cpuUsPerRecordByRole: medianByRole(ws.map((w) => w.cpuUsPerRecordByRole ?? {})) } : {}),
          },
        ];
      }),
    ),
  }));
  const storedRecords = facts.records;
  writeFileSync(
    out,
    JSON.stringify(
      {
        victoriaLogs: { version: VICTORIA_LOGS_VERSION, builtS: binary.builtS, ingest: VICTORIA_LOGS_INGEST },
        config: {
          rounds: ROUNDS,
          oursNodeArgs: [
            ...EMBEDDED_NODE_ARGS,
            ...(process.env['YARD_NODE_ARGS'] ?? '').split(' ').filter(Boolean),
          ].join(' '),
          connections: CONNECTIONS,
          recordsPerRequest: PER_BODY,
          windowRecords: WINDOW_BODIES * PER_BODY,
          warmupRecords: WARMUP_BODIES * PER_BODY,
          pacedRecords: PACED_BODIES * PER_BODY,
          queryRuns: QUERY_RUNS,
          quiet: QUIET,
          spanMs: SPAN_MS,
        },
        data: {
          records: storedRecords,
          ndjsonBytes,
          ndjsonBytesPerRecord: round(ndjsonBytes / storedRecords),
          generateS,
          facts,
        },
        windows: windows.map(({ latenciesMs: _, ...w }) => w),
        paced,
        summary,
        idleCores,
        cpuUsPerRecordWholeRun: Object.fromEntries(
          systems.map((s) => [s.key, round((ingestCpu[s.key]! / storedRecords) * 1e6)]),
        ),
        disk: {
          ours: { running: diskRunning['ours'], reopened: merged.ours.reopened, merged: merged.ours.merged },
          victoria: {
            running: { ...diskRunning['victoria'], onDiskWaitS: victoriaOnDisk.waitedS, rows: victoriaOnDisk.rows },
            merged: merged.victoria,
          },
        },
        queries,
        load: load(),
      },
      null,
      2,
    ),
  );
} finally {
  for (const s of systems) if (!stopped.has(s)) await s.server.stop();
}
