// The collector of the production path under the flood an outside test used against it: many connections posting
// ~4 MiB NDJSON bodies back to back, ignoring Retry-After. Its own process, a real Kafka broker behind it. What must
// hold: resident memory stays under the memory limit the operator gives the collector pod by default, every kubelet
// probe on PROBE_PORT is answered 200 within the probe timeout, and overload is refused with 429 + Retry-After while
// some bodies still get through. Latency figures are make bench-overload's business (bench/results/overload*.md).
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import http from 'node:http';
import { readFileSync } from 'node:fs';
import { Worker } from 'node:worker_threads';
import { LogPipelineSpec, quantityValue } from '@instant-logs/schema';
import { startKafkaBroker, type KafkaBroker } from '@instant-logs/testbed';
import { startCollectorWithProbes } from '../../processor/src/kafka/test-processes.ts';

const TOPIC = 'flood-logs';
const RECORDS_PER_BODY = 14_000;
// kubelet's default probe timeout (timeoutSeconds: 1), which the operator keeps.
const PROBE_TIMEOUT_MS = 1000;
const memoryLimit = quantityValue(
  String(
    LogPipelineSpec.parse({ kafka: { cluster: 'c' }, clickhouse: { managed: {} } }).collector.resources.limits.memory,
  ),
);

let broker: KafkaBroker;
before(async () => {
  broker = await startKafkaBroker();
  await broker.createTopic(TOPIC, { partitions: 6 });
});
after(() => broker.stop());

// Distinct records (~300 bytes each), so nothing downstream can take a shortcut on repeats.
const bodies = Array.from({ length: 4 }, (_, b) =>
  Buffer.from(
    Array.from({ length: RECORDS_PER_BODY }, (_, i) =>
      JSON.stringify({
        timestamp: new Date(Date.UTC(2026, 0, 1) + b * RECORDS_PER_BODY + i).toISOString(),
        service: `svc-${i % 7}`,
        level: i % 10 === 0 ? 'error' : 'info',
        message: `request ${b}-${i} served in ${(i * 7919) % 1000} ms for user u${(i * 104729) % 99991} at /api/v1/items/${i}`,
        attributes: { 'http.status': 200 + (i % 5), 'trace.id': `${b}${i}`.padStart(32, '0') },
      }),
    ).join('\n'),
  ),
);

function post(agent: http.Agent, port: number, body: Buffer) {
  return new Promise<{ status: number; retryAfter?: string }>((resolve) => {
    const req = http.request(
      {
        agent,
        host: '127.0.0.1',
        port,
        method: 'POST',
        path: '/api/v1/logs',
        headers: { 'content-type': 'application/x-ndjson', 'content-length': body.length },
      },
      (res) => {
        res.resume();
        res.on('end', () => resolve({ status: res.statusCode ?? 0, retryAfter: res.headers['retry-after'] }));
      },
    );
    // A refusal that closes the connection early is status 0: counted, not hidden.
    req.on('error', () => resolve({ status: 0 }));
    req.end(body);
  });
}

// The prober runs on a thread of its own: on the test's event loop, busy writing 4 MiB bodies, its own delays would be
// counted against the server.
const PROBER = `
const { parentPort, workerData } = require('node:worker_threads');
let stop = false;
parentPort.on('message', () => (stop = true));
(async () => {
  const probes = [];
  while (!stop) {
    const t0 = performance.now();
    const status = await fetch('http://127.0.0.1:' + workerData.port + '/healthz', { signal: AbortSignal.timeout(5000) })
      .then((r) => r.status, () => 0);
    probes.push({ status, ms: performance.now() - t0 });
  }
  parentPort.postMessage(probes);
})();
`;

function startProber(port: number) {
  const worker = new Worker(PROBER, { eval: true, workerData: { port } });
  const done = new Promise<{ status: number; ms: number }[]>((resolve, reject) => {
    worker.once('message', resolve);
    worker.once('error', reject);
  });
  return {
    async stop() {
      worker.postMessage('stop');
      const probes = await done;
      await worker.terminate();
      return probes;
    },
  };
}

const peakRssBytes = (pid: number) =>
  Number(/^VmHWM:\s+(\d+) kB/m.exec(readFileSync(`/proc/${pid}/status`, 'utf8'))![1]) * 1024;

for (const [connections, bodiesEach] of [
  [32, 8],
  [96, 3],
] as const) {
  test(`${connections} connections of 4 MiB bodies: memory under the pod limit, probes answered, overload refused with 429`, async () => {
    const { collector, port, probePort } = await startCollectorWithProbes(broker.bootstrap, TOPIC, { API_KEYS: '' });
    const agent = new http.Agent({ keepAlive: true, maxSockets: connections });
    const answers: { status: number; retryAfter?: string }[] = [];
    const prober = startProber(probePort);
    try {
      const clients = Array.from({ length: connections }, async (_, c) => {
        for (let i = 0; i < bodiesEach; i++) answers.push(await post(agent, port, bodies[(c + i) % bodies.length]!));
      });
      await Promise.all(clients);
      const probes = await prober.stop();
      const peak = peakRssBytes(collector.pid);
      const count = (status: number) => answers.filter((a) => a.status === status).length;
      const summary = `${count(202)} × 202, ${count(429)} × 429, others ${answers.length - count(202) - count(429)}; peak RSS ${Math.round(peak / 2 ** 20)} MiB; ${probes.length} probes, slowest ${Math.round(Math.max(...probes.map((p) => p.ms)))} ms, statuses ${[...new Set(probes.map((p) => p.status))].join('/')}`;
      console.log(`ℹ ${connections} connections: ${summary}`);
      assert.equal(answers.length, connections * bodiesEach);
      assert.ok(
        answers.every((a) => a.status === 202 || a.status === 429),
        `only 202 and 429: ${summary}`,
      );
      assert.ok(count(202) > 0, `some bodies get through: ${summary}`);
      assert.ok(count(429) > 0, `overload is refused: ${summary}`);
      assert.ok(
        answers.filter((a) => a.status === 429).every((a) => Number(a.retryAfter) >= 1),
        'every 429 says when to retry',
      );
      assert.ok(peak < memoryLimit, `peak RSS under the default pod limit of ${memoryLimit / 2 ** 20} MiB: ${summary}`);
      assert.ok(probes.length > 0);
      assert.ok(
        probes.every((p) => p.status === 200 && p.ms < PROBE_TIMEOUT_MS),
        `every liveness probe answered 200 within ${PROBE_TIMEOUT_MS} ms: ${summary}`,
      );
    } finally {
      await prober.stop();
      agent.destroy();
      await collector.stop(30_000);
    }
  });
}
