// Where the embedded server's CPU goes by thread, and how often V8 marks the event loop's heap, for
// two ways of running it taken in turn: `make dev`'s Node flags, and the same without one flag.
// Usage: node bench/threads.ts <out.json> [flag to leave out] [rounds]
// Each run: a fresh server, 100 closed-loop requests to warm it, then 1,200 requests of 1,000 distinct
// records paced at THREADS_RATE records/s (open loop: latency from each request's scheduled time).
import { writeFileSync } from 'node:fs';
import { EMBEDDED_NODE_ARGS, startServer } from './lib/server.ts';
import { cpuSeconds, load, memory, round, summarize, threadGroupCpu, tidCpu } from './lib/stats.ts';
import { sendPaced, sendSlice } from './lib/yard-load.ts';
import { yardBodies } from './lib/yard-records.ts';

const [out = '/tmp/threads.json', without = '--external-memory-accounted-in-global-limit', roundsArg = '3'] =
  process.argv.slice(2);
const RATE = Number(process.env['THREADS_RATE'] ?? 85_000);
const PER_BODY = 1000;
const WARMUP = 100;
const PACED = 1200;

/** Pure: µs of CPU a record by thread group over the window (see threadGroupCpu), largest first. */
function usPerRecordByThread(before: ReturnType<typeof tidCpu>, after: ReturnType<typeof tidCpu>, records: number) {
  const rows = [...threadGroupCpu(before, after)].filter(([, s]) => s > 0).sort((a, b) => b[1] - a[1]);
  return Object.fromEntries(rows.map(([name, s]) => [name, round((s * 1e6) / records, 2)]));
}

const toMs = Date.now();
const { bodies } = yardBodies(WARMUP + PACED, PER_BODY, 10, toMs - 3_600_000, toMs);
const variants = [
  { name: 'make dev', nodeArgs: EMBEDDED_NODE_ARGS },
  { name: `without ${without}`, nodeArgs: EMBEDDED_NODE_ARGS.filter((a) => a !== without) },
];
const runs = [];
for (let r = 0; r < Number(roundsArg); r++) {
  for (const variant of r % 2 === 0 ? variants : [...variants].reverse()) {
    const server = await startServer({ nodeArgs: [...variant.nodeArgs, '--trace-gc'] });
    await sendSlice(server.port, '/api/v1/logs', bodies.slice(0, WARMUP), 4, 60_000);
    const printed = server.output().length;
    const loadAtStart = load()[0];
    const before = tidCpu(server.pid);
    const process0 = cpuSeconds(server.pid);
    const paced = await sendPaced(server.port, '/api/v1/logs', bodies.slice(WARMUP), RATE, PER_BODY);
    const processUs = ((cpuSeconds(server.pid) - process0) * 1e6) / (PACED * PER_BODY);
    const byThread = usPerRecordByThread(before, tidCpu(server.pid), PACED * PER_BODY);
    const trace = server.output().slice(printed);
    // The most memory the process held at once: what the dead Buffers kept between marks cost.
    const { peakMiB } = memory(server.pid);
    await server.stop();
    const run = {
      round: r + 1,
      variant: variant.name,
      acked: paced.acked,
      ack: summarize(paced.latenciesMs),
      fullMarks: (trace.match(/Mark-Compact/g) ?? []).length,
      scavenges: (trace.match(/Scavenge/g) ?? []).length,
      usPerRecord: round(processUs, 2),
      byThread,
      peakRssMiB: peakMiB,
      loadAtStart,
    };
    runs.push(run);
    console.log(
      `${run.round} ${run.variant}: ${run.usPerRecord} µs a record (event loop ${byThread['MainThread']}), ` +
        `${run.fullMarks} full marks, ack p50 ${run.ack.p50} / p99 ${run.ack.p99} ms, peak RSS ${run.peakRssMiB} MiB, load ${loadAtStart}`,
    );
  }
}
writeFileSync(
  out,
  JSON.stringify({ at: new Date().toISOString(), rate: RATE, records: PACED * PER_BODY, runs }, null, 2),
);
