// Phase 5c: bench-only changes to the pipeline measured end to end (bench/variant-server.ts),
// against the real server, in alternating rounds so other load on the machine falls on all alike.
// Usage: node bench/ingest-variants.ts <out.json> [connections]
import { writeFileSync } from 'node:fs';
import { measureLoad, type LoadShape } from './lib/measure.ts';
import { startServer } from './lib/server.ts';
import { median, round, summarize } from './lib/stats.ts';

const [out = '/tmp/ingest-variants.json', connectionsArg] = process.argv.slice(2);
const CONNECTIONS = Number(connectionsArg ?? 8);
const VARIANT = 'bench/variant-server.ts';
type Variant = { name: string; script?: string; env?: Record<string, string> };
const REAL: Variant = { name: 'real server (main.ts, its defaults)' };

// Closed loop: the most a few clients get through. Alternating rounds spread other load alike.
const CLOSED: Variant[] = [
  REAL,
  { name: 'each batch as 2 parallel inserts (2 sessions)', script: VARIANT, env: { BENCH_SPLIT: '2' } },
  { name: 'no words index (idx_words dropped)', script: VARIANT, env: { BENCH_DROP_INDEXES: 'idx_words' } },
  // Merges rebuild every skip index anyway; only the newest, unmerged parts are read without them.
  {
    name: 'skip indexes built by merges only (materialize_skip_indexes_on_insert=0)',
    script: VARIANT,
    env: { BENCH_INSERT_SETTINGS: 'materialize_skip_indexes_on_insert=0' },
  },
];
// Open loop at a fixed rate: what a longer group-commit wait buys (bigger inserts, fewer merges) and costs (latency).
const PACED: Variant[] = [
  REAL,
  { name: 'maxWaitMs 50', script: VARIANT, env: { BENCH_MAX_WAIT_MS: '50' } },
  { name: 'maxWaitMs 200', script: VARIANT, env: { BENCH_MAX_WAIT_MS: '200' } },
];
const PACED_RATE = 15; // requests/s of 1000 records

async function runAll(variants: Variant[], rounds: number, shape: LoadShape) {
  const runs = variants.map(() => [] as Awaited<ReturnType<typeof measureLoad>>[]);
  for (let r = 0; r < rounds; r++) {
    for (const [i, v] of variants.entries()) {
      const server = await startServer({ ...(v.script ? { script: v.script } : {}), ...(v.env ? { env: v.env } : {}) });
      try {
        runs[i]!.push(await measureLoad(server, shape, 100 + r));
      } finally {
        await server.stop();
      }
    }
  }
  return variants.map((v, i) => {
    const rs = runs[i]!;
    const merges = (x: (typeof rs)[number]) =>
      x.cores.serverThreads.find((t) => t.thread === 'MergeMutate')?.cores ?? 0;
    return {
      name: v.name,
      env: v.env ?? {},
      recordsPerS: median(rs.map((x) => x.recordsPerS)),
      recordsPerSByRound: rs.map((x) => x.recordsPerS),
      ackMs: summarize(rs.flatMap((x) => x.latenciesMs)),
      serverCores: round(median(rs.map((x) => x.cores.server)), 2),
      mergeCores: round(median(rs.map(merges)), 2),
      otherCores: round(median(rs.map((x) => x.cores.machine - x.cores.server - x.cores.client)), 2),
      meanRowsPerInsert: median(rs.map((x) => x.processor.meanRowsPerInsert)),
      meanInsertMs: median(rs.map((x) => x.processor.meanInsertMs)),
      // Server CPU per record: less sensitive to other load on the machine than records/s.
      serverCpuUsPerRecord: round(median(rs.map((x) => (x.cores.server / x.recordsPerS) * 1e6)), 1),
    };
  });
}

const closed = await runAll(CLOSED, 2, {
  connections: CONNECTIONS,
  perBody: 1000,
  bodies: 32,
  warmupMs: 2000,
  durationMs: 6000,
});
const paced = await runAll(PACED, 1, {
  connections: 32,
  perBody: 1000,
  bodies: 32,
  warmupMs: 2000,
  durationMs: 8000,
  ratePerSecond: PACED_RATE,
});
writeFileSync(
  out,
  JSON.stringify(
    {
      closed: { connections: CONNECTIONS, rounds: 2, windowS: 6, variants: closed },
      paced: { ratePerSecond: PACED_RATE, perBody: 1000, connections: 32, windowS: 8, variants: paced },
    },
    null,
    2,
  ),
);
