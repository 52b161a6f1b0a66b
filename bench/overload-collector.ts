// `node bench/overload-collector.ts`: the production collector (its own process, a real Kafka broker
// behind it) under the flood bench/overload.ts gives the embedded process: 32 and 96 connections
// posting ~4.25 MiB NDJSON bodies back to back, a prober on the API port and on PROBE_PORT. The figure
// that matters here is the collector's resident memory against the chart's default limit (512 MiB).
// Writes bench/results/overload-collector.{json,md}.
import { readFileSync, writeFileSync } from 'node:fs';
import { Agent } from 'node:http';
import { join, resolve } from 'node:path';
import { startKafkaBroker } from '@instant-logs/testbed';
import { startCollectorWithProbes } from '../services/processor/src/kafka/test-processes.ts';
import { keepAliveAgent, request, timed, type Answer } from './lib/http.ts';
import { ndjsonBodies } from './lib/records.ts';
import { load, machine, memory, summarize } from './lib/stats.ts';

const RESULTS = resolve(import.meta.dirname, 'results');
const CONNECTIONS = (process.env['OVERLOAD_CONNECTIONS'] ?? '32,96').split(',').map(Number);
const SECONDS = Number(process.env['OVERLOAD_SECONDS'] ?? 20);
const RECORDS_PER_BODY = 14_500;
const TOPIC = 'overload-logs';

const broker = await startKafkaBroker();
await broker.createTopic(TOPIC, { partitions: 6 });
const bodies = ndjsonBodies(4, RECORDS_PER_BODY, 7);
const runs = [];
try {
  for (const connections of CONNECTIONS) {
    const { collector, port, probePort } = await startCollectorWithProbes(
      broker.bootstrap,
      TOPIC,
      // e.g. --max-old-space-size=192: the heap V8 would size itself to inside a 512 MiB container, on a machine without that limit.
      process.env['OVERLOAD_NODE_OPTIONS'] ? { NODE_OPTIONS: process.env['OVERLOAD_NODE_OPTIONS'] } : {},
    );
    console.log(`[overload-collector] ${connections} connections for ${SECONDS} s (load ${load().join(' ')})`);
    const before = memory(collector.pid);
    const deadline = performance.now() + SECONDS * 1000;
    const answers: Answer[] = [];
    const probes = { api: [] as Answer[], thread: [] as Answer[] };
    const clients = keepAliveAgent(connections);
    const fresh = new Agent({ keepAlive: false });
    let next = 0;
    const client = async () => {
      while (performance.now() < deadline)
        answers.push(
          await timed(() => request(clients, port, 'POST', '/api/v1/logs', bodies[next++ % bodies.length]!)),
        );
    };
    const prober = async () => {
      while (performance.now() < deadline) {
        probes.api.push(await timed(() => request(fresh, port, 'GET', '/healthz')));
        probes.thread.push(await timed(() => request(fresh, probePort, 'GET', '/healthz')));
      }
    };
    await Promise.all([...Array.from({ length: connections }, client), prober()]);
    const after = memory(collector.pid);
    clients.destroy();
    fresh.destroy();
    await collector.stop(30_000);
    const count = (s: number) => answers.filter((a) => a.status === s).length;
    runs.push({
      connections,
      requests: answers.length,
      accepted202: count(202),
      refused429: count(429),
      other: answers.length - count(202) - count(429),
      acceptedLatencyMs: summarize(answers.filter((a) => a.status === 202).map((a) => a.ms)),
      apiHealthzMs: summarize(probes.api.map((a) => a.ms)),
      probeHealthzMs: summarize(probes.thread.map((a) => a.ms)),
      probeHealthzNot200: probes.thread.filter((a) => a.status !== 200).length,
      rssBeforeMiB: before.rssMiB,
      rssPeakMiB: after.peakMiB,
      load: load(),
    });
  }
} finally {
  await broker.stop();
}
const result = {
  date: new Date().toISOString(),
  machine: machine(),
  seconds: SECONDS,
  recordsPerBody: RECORDS_PER_BODY,
  nodeOptions: process.env['OVERLOAD_NODE_OPTIONS'] ?? '',
  runs,
};
writeFileSync(join(RESULTS, 'overload-collector.json'), `${JSON.stringify(result, null, 2)}\n`);
const rows = runs.map(
  (r) =>
    `| ${r.connections} | ${r.requests} | ${r.accepted202} | ${r.refused429} | ${r.other} | ${r.acceptedLatencyMs.p50} / ${r.acceptedLatencyMs.p99} | ${r.apiHealthzMs.p50} / ${r.apiHealthzMs.p99} | ${r.probeHealthzMs.p50} / ${r.probeHealthzMs.p99} / ${r.probeHealthzMs.max} (${r.probeHealthzNot200}× not 200) | ${r.rssBeforeMiB} → ${r.rssPeakMiB} | ${r.load[0]} |`,
);
writeFileSync(
  join(RESULTS, 'overload-collector.md'),
  `# Overload: the collector in front of Kafka

Measured ${result.date} on ${result.machine.cpus} × ${result.machine.cpuModel}, Node ${result.machine.node}, by \`node bench/overload-collector.ts\`:
the collector with its default limits and one ingest thread, in its own process (started as the tests start it, so
without the image's --single-threaded-gc), a single-node Kafka 4 broker on the same machine behind it, each connection posting ${RECORDS_PER_BODY}-record NDJSON bodies back to back for ${SECONDS} s
while one prober alternates GET /healthz on the API port and on PROBE_PORT. Latencies in ms; memory is the collector's
resident set (peak = VmHWM) against the chart's default limit of 512 MiB. Load is the 1-minute load average at the end.
NODE_OPTIONS of the collector: ${result.nodeOptions || '(none)'}.

| connections | requests | 202 | 429 | other | 202 p50 / p99 | API /healthz p50 / p99 | probe port /healthz p50 / p99 / max | RSS MiB before → peak | load |
|---|---|---|---|---|---|---|---|---|---|
${rows.join('\n')}
`,
);
console.log(readFileSync(join(RESULTS, 'overload-collector.md'), 'utf8'));
