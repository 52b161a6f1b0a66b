// Worker thread: an HTTP load generator, apart from the caller's event loop (and the server's,
// which is another process). Closed loop (each connection sends when its last request is
// answered) or paced. Builds its request bodies before the clock starts.
import { parentPort, workerData } from 'node:worker_threads';
import { honourRetryAfter, keepAliveAgent, request } from './lib/http.ts';
import { ndjsonBodies } from './lib/records.ts';
import type { LoadOptions, LoadResult } from './lib/load.ts';

const o = workerData as LoadOptions;
const port = parentPort!;
const bodies = o.request?.bodies ?? ndjsonBodies(o.bodies, o.perBody, o.seed);
const path = o.request?.path ?? '/api/v1/logs';
const okStatus = o.request?.okStatus ?? 202;
const agent = keepAliveAgent(o.connections);
let stopped = false;
port.on('message', (m: string) => {
  if (m === 'stop') stopped = true;
  if (m === 'start') void run().then((result) => port.postMessage({ kind: 'done', result }));
});
port.postMessage({ kind: 'ready', poolBytes: bodies.reduce((n, b) => n + b.length, 0) });

async function run(): Promise<LoadResult> {
  const t0 = performance.now();
  const windowStart = t0 + o.warmupMs;
  const deadline = windowStart + o.durationMs;
  const latencies: number[] = [];
  const statuses: Record<string, number> = {};
  let records = 0;
  let bytes = 0;
  let windowEnd = windowStart;
  let next = 0;

  const connection = async () => {
    while (!stopped && performance.now() < deadline) {
      const slot = next++;
      const body = bodies[slot % bodies.length]!;
      // Paced: wait for this request's slot; a connection that fell behind sends at once.
      if (o.ratePerSecond) {
        const wait = t0 + (slot * 1000) / o.ratePerSecond - performance.now();
        if (wait > 0) await new Promise((r) => setTimeout(r, wait));
        if (stopped || performance.now() >= deadline) break;
      }
      const started = performance.now();
      const res = await request(agent, o.port, 'POST', path, body, o.request?.headers).catch(() => ({ status: 0 }));
      const { status } = res;
      const done = performance.now();
      // A refusal with Retry-After holds this connection back as a log shipper would, instead of a hot loop of refusals.
      if (status !== okStatus) await honourRetryAfter(res, deadline);
      // Only requests wholly inside the window count: warm-up ones are JIT and cache fill.
      if (started < windowStart || done > deadline) continue;
      statuses[status] = (statuses[status] ?? 0) + 1;
      windowEnd = Math.max(windowEnd, done);
      if (status !== okStatus) continue;
      latencies.push(done - started);
      records += o.perBody;
      bytes += body.length;
    }
  };
  await Promise.all(Array.from({ length: o.connections }, connection));
  agent.destroy();
  // Stopped early (the caller's probe finished): the window is what actually ran.
  const windowMs = stopped ? Math.max(1, windowEnd - windowStart) : o.durationMs;
  return { records, bytes, latenciesMs: latencies, statuses, windowMs };
}
