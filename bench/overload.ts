// `make bench-overload`: the embedded server under many connections posting ~5 MB NDJSON batches, as
// the outside test did: how many requests are admitted or refused (429), how slow /healthz and
// /readyz get, and how far the server's memory grows. Writes bench/results/overload.{json,md}.
// Every loop is bounded in time; all traffic goes to 127.0.0.1.
import { readFileSync, writeFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { Agent } from 'node:http';
import { keepAliveAgent, request, timed, type Answer } from './lib/http.ts';
import { ndjsonBodies } from './lib/records.ts';
import { startServer } from './lib/server.ts';
import { load, machine, memory, round, summarize } from './lib/stats.ts';

const RESULTS = resolve(import.meta.dirname, 'results');
const CONNECTIONS = (process.env['OVERLOAD_CONNECTIONS'] ?? '32,96').split(',').map(Number);
const SECONDS = Number(process.env['OVERLOAD_SECONDS'] ?? 20);
// INGEST_THREADS settings compared in the same run: 0 decodes on the event loop, 1 is the default on two cores.
const THREADS = (process.env['OVERLOAD_INGEST_THREADS'] ?? '0,1').split(',').map(Number);
// ~340-byte records: 15,000 of them make a ~5 MB body, just under the 5 MB request limit.
const RECORDS_PER_BODY = 14_500;

async function run(connections: number, threads: number, bodies: Buffer[]) {
  const server = await startServer({ env: { INGEST_THREADS: String(threads), PROBE_PORT: '0' } });
  const probePort = Number(/Probes\s+http:\/\/127\.0\.0\.1:(\d+)\//.exec(server.output())?.[1]);
  if (!probePort) throw new Error(`The server printed no probe port:\n${server.output()}`);
  try {
    const before = memory(server.pid);
    const deadline = performance.now() + SECONDS * 1000;
    const answers: Answer[] = [];
    const health: Answer[] = [];
    const ready: Answer[] = [];
    const threadHealth: Answer[] = [];
    const threadReady: Answer[] = [];
    let next = 0;
    const clients = keepAliveAgent(connections);
    // A new connection for every probe, as kubelet's HTTP probes make: it waits in the accept queue too.
    const probes = new Agent({ keepAlive: false });
    const client = async () => {
      while (performance.now() < deadline)
        answers.push(
          await timed(() => request(clients, server.port, 'POST', '/api/v1/logs', bodies[next++ % bodies.length]!)),
        );
    };
    const prober = async () => {
      while (performance.now() < deadline) {
        health.push(await timed(() => request(probes, server.port, 'GET', '/healthz')));
        ready.push(await timed(() => request(probes, server.port, 'GET', '/readyz')));
        threadHealth.push(await timed(() => request(probes, probePort, 'GET', '/healthz')));
        threadReady.push(await timed(() => request(probes, probePort, 'GET', '/readyz')));
      }
    };
    const loadBefore = load();
    await Promise.all([...Array.from({ length: connections }, client), prober()]);
    const after = memory(server.pid);
    clients.destroy();
    probes.destroy();
    const count = (s: number) => answers.filter((a) => a.status === s).length;
    return {
      connections,
      threads,
      seconds: SECONDS,
      requests: answers.length,
      accepted202: count(202),
      refused429: count(429),
      other: answers.length - count(202) - count(429),
      recordsStored: count(202) * RECORDS_PER_BODY,
      acceptedLatencyMs: summarize(answers.filter((a) => a.status === 202).map((a) => a.ms)),
      refusedLatencyMs: summarize(answers.filter((a) => a.status === 429).map((a) => a.ms)),
      healthzMs: summarize(health.map((a) => a.ms)),
      healthzNot200: health.filter((a) => a.status !== 200).length,
      readyzMs: summarize(ready.map((a) => a.ms)),
      readyz503: ready.filter((a) => a.status === 503).length,
      // The same probes on PROBE_PORT, answered by the probe thread.
      probeHealthzMs: summarize(threadHealth.map((a) => a.ms)),
      probeHealthzNot200: threadHealth.filter((a) => a.status !== 200).length,
      probeReadyzMs: summarize(threadReady.map((a) => a.ms)),
      probeReadyz503: threadReady.filter((a) => a.status === 503).length,
      rssBeforeMiB: before.rssMiB,
      rssPeakMiB: after.peakMiB,
      load: { before: loadBefore, after: load() },
    };
  } finally {
    await server.stop();
  }
}

const bodies = ndjsonBodies(4, RECORDS_PER_BODY, 7);
const bodyMiB = round(bodies[0]!.length / 2 ** 20, 2);
const runs = [];
for (const connections of CONNECTIONS) {
  for (const threads of THREADS) {
    console.log(
      `[overload] ${connections} connections × ${bodyMiB} MiB bodies for ${SECONDS} s, ${threads} ingest threads (load ${load().join(' ')})`,
    );
    runs.push(await run(connections, threads, bodies));
  }
}
const result = { date: new Date().toISOString(), machine: machine(), bodyMiB, recordsPerBody: RECORDS_PER_BODY, runs };
writeFileSync(join(RESULTS, 'overload.json'), `${JSON.stringify(result, null, 2)}\n`);
const rows = runs.map(
  (r) =>
    `| ${r.connections} | ${r.threads} | ${r.requests} | ${r.accepted202} | ${r.refused429} | ${r.other} | ${r.acceptedLatencyMs.p50} / ${r.acceptedLatencyMs.p99} | ${r.refusedLatencyMs.p50} / ${r.refusedLatencyMs.p99} | ${r.healthzMs.p50} / ${r.healthzMs.p99} / ${r.healthzMs.max} | ${r.readyzMs.p99} (${r.readyz503}× 503) | ${r.probeHealthzMs.p50} / ${r.probeHealthzMs.p99} / ${r.probeHealthzMs.max} (${r.probeHealthzNot200}× not 200) | ${r.probeReadyzMs.p99} (${r.probeReadyz503}× 503) | ${r.rssBeforeMiB} → ${r.rssPeakMiB} | ${r.load.before[0]} → ${r.load.after[0]} |`,
);
writeFileSync(
  join(RESULTS, 'overload.md'),
  `# Overload: many connections posting ${bodyMiB} MiB NDJSON batches

Measured ${result.date} on ${result.machine.cpus} × ${result.machine.cpuModel}, Node ${result.machine.node}, by \`make bench-overload\`
(\`bench/overload.ts\`): the embedded server with its default limits, each connection posting ${RECORDS_PER_BODY}-record
bodies back to back for ${SECONDS} s, with the body decoding on the event loop (0 ingest threads) or on
an ingest thread (INGEST_THREADS), while one prober cycles through GET /healthz and GET /readyz on the API port, then the same two on PROBE_PORT,
where a thread of their own answers them. Latencies in ms;
memory is the server's resident set (peak = VmHWM). Load is the 1-minute load average of the 2-core machine.

| connections | ingest threads | requests | 202 | 429 | other | 202 p50 / p99 | 429 p50 / p99 | /healthz p50 / p99 / max | /readyz p99 | probe port /healthz p50 / p99 / max | probe port /readyz p99 | RSS MiB before → peak | load |
|---|---|---|---|---|---|---|---|---|---|---|---|---|---|
${rows.join('\n')}
`,
);
console.log(readFileSync(join(RESULTS, 'overload.md'), 'utf8'));
