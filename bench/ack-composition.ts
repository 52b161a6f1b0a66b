// Where a paced request's acknowledgement time goes: the real embedded server (`make dev`'s Node flags), 100
// closed-loop requests to warm up, then requests of 1,000 distinct yardstick records paced at each rate (open
// loop: latency from a request's scheduled time to its 202). Beside the client's latencies, the server's own
// histograms over the paced window: the collector's ack time (`instant_logs_collector_ack_seconds`, route logs)
// and the local log's group commits (`instant_logs_wal_group_commit_seconds`, one write and fdatasync for the
// requests that waited), with the requests each commit took. Histogram quantiles are bucket bounds ("≤").
// Usage: node bench/ack-composition.ts [rates=20000,40000] [requests=600]
// (writes bench/results/ack-composition.{json,md})
import http from 'node:http';
import { writeFileSync } from 'node:fs';
import { parseExposition, type Sample } from '../observability/exposition.ts';
import { request } from './lib/http.ts';
import { EMBEDDED_NODE_ARGS, startServer } from './lib/server.ts';
import { load, machine, summarize } from './lib/stats.ts';
import { sendPaced, sendSlice } from './lib/yard-load.ts';
import { yardBodies } from './lib/yard-records.ts';

const RATES = (process.argv[2] ?? '20000,40000').split(',').map(Number);
const PACED = Number(process.argv[3] ?? 600);
const WARMUP = 100;
const PER_BODY = 1000;

/** Every sample the server exposes, read with the project's own exposition parser. */
async function samples(agent: http.Agent, port: number): Promise<Sample[]> {
  const { text } = await request(agent, port, 'GET', '/metrics');
  return [...parseExposition(text).values()].flatMap((family) => family.samples);
}

/** Pure: how each sample named `name` with these labels changed between two scrapes, by its `le` label. */
function changes(before: Sample[], after: Sample[], name: string, labels: Record<string, string> = {}) {
  const of = (list: Sample[]) =>
    list.filter((s) => s.name === name && Object.entries(labels).every(([k, v]) => s.labels[k] === v));
  const was = new Map(of(before).map((s) => [s.labels['le'] ?? '', s.value]));
  return of(after).map((s) => ({ le: s.labels['le'] ?? '', by: s.value - (was.get(s.labels['le'] ?? '') ?? 0) }));
}

/** Pure: the smallest bucket bound holding each quantile of the observations between two scrapes. */
function bucketQuantiles(before: Sample[], after: Sample[], histogram: string, labels: Record<string, string> = {}) {
  const buckets = changes(before, after, `${histogram}_bucket`, labels)
    .map(({ le, by }) => [le === '+Inf' ? Infinity : Number(le) * 1000, by] as const)
    .sort((a, b) => a[0] - b[0]);
  const count = buckets.at(-1)?.[1] ?? 0;
  const bound = (q: number) => buckets.find(([, n]) => n >= q * count)?.[0] ?? null;
  return { count, p50Ms: bound(0.5), p90Ms: bound(0.9), p99Ms: bound(0.99) };
}

const toMs = Date.now();
const { bodies } = yardBodies(WARMUP + PACED, PER_BODY, 10, toMs - 3_600_000, toMs);
const agent = new http.Agent({ keepAlive: true });
interface Run {
  rate: number;
  acked: number;
  clientAckMs: ReturnType<typeof summarize>;
  serverAck: ReturnType<typeof bucketQuantiles>;
  groupCommit: ReturnType<typeof bucketQuantiles>;
  requestsPerGroup: number;
  loadAtStart: number | undefined;
}
const runs: Run[] = [];
for (const rate of RATES) {
  const server = await startServer({ nodeArgs: EMBEDDED_NODE_ARGS });
  await sendSlice(server.port, '/api/v1/logs', bodies.slice(0, WARMUP), 4, 60_000);
  const before = await samples(agent, server.port);
  const loadAtStart = load()[0];
  const paced = await sendPaced(server.port, '/api/v1/logs', bodies.slice(WARMUP), rate, PER_BODY);
  const after = await samples(agent, server.port);
  await server.stop();
  const d = (name: string) => changes(before, after, name).reduce((n, c) => n + c.by, 0);
  const run: Run = {
    rate,
    acked: paced.acked,
    clientAckMs: summarize(paced.latenciesMs),
    serverAck: bucketQuantiles(before, after, 'instant_logs_collector_ack_seconds', { route: 'logs' }),
    groupCommit: bucketQuantiles(before, after, 'instant_logs_wal_group_commit_seconds'),
    requestsPerGroup:
      Math.round(
        (d('instant_logs_wal_group_commit_entries_sum') / d('instant_logs_wal_group_commit_entries_count')) * 100,
      ) / 100,
    loadAtStart,
  };
  runs.push(run);
  console.log(JSON.stringify(run));
}
agent.destroy();
const at = new Date().toISOString();
writeFileSync(
  'bench/results/ack-composition.json',
  `${JSON.stringify({ at, machine: machine(), requests: PACED, perBody: PER_BODY, runs }, null, 2)}\n`,
);
const le = (ms: number | null) => (ms === null ? '–' : ms === Infinity ? '> 2.5 s' : `≤ ${ms}`);
const row = (r: Run) =>
  `| ${r.rate.toLocaleString('en')} | ${r.acked} | ${r.clientAckMs.p50} / ${r.clientAckMs.p99} / ${r.clientAckMs.max} | ` +
  `${le(r.serverAck.p50Ms)} / ${le(r.serverAck.p99Ms)} | ${le(r.groupCommit.p50Ms)} / ${le(r.groupCommit.p90Ms)} / ` +
  `${le(r.groupCommit.p99Ms)} | ${r.requestsPerGroup} | ${r.loadAtStart} |`;
writeFileSync(
  'bench/results/ack-composition.md',
  `# Where the acknowledgement's time goes

\`node bench/ack-composition.ts\` (${at}) — the embedded server as \`make dev\` runs it, ${WARMUP} closed-loop
requests to warm up, then ${PACED} requests of ${PER_BODY.toLocaleString('en')} distinct yardstick records paced at
each rate (open loop: from a request's scheduled time to its 202), a fresh server per rate. The server's columns
are its own histograms over the paced window, as bucket bounds: the collector's ack time, and the local log's
group commits (one write and one \`fdatasync\` for the requests that waited for it). 2 cores, shared; the load is the
1-minute average at the window's start.

| records/s | acked | client ack p50 / p99 / max ms | server ack p50 / p99 ms | group commit p50 / p90 / p99 ms | requests a group | load |
|---:|---:|---|---|---|---:|---:|
${runs.map(row).join('\n')}
`,
);
