// Worker thread: HTTP load against the collector with exact bookkeeping. Unlike ../load-worker.ts it
// reports every request (epoch start, latency, status), so the caller both cuts the measurement
// window and reconciles every acknowledged record against what ClickHouse stored.
import { parentPort, workerData } from 'node:worker_threads';
import { keepAliveAgent, request } from '../lib/http.ts';
import { ndjsonBodies } from '../lib/records.ts';

/** What to send: pre-generated NDJSON bodies, closed loop or paced, until `stop` or `durationMs`. */
export interface KafkaLoadOptions {
  port: number;
  connections: number;
  perBody: number;
  bodies: number;
  seed: number;
  durationMs: number;
  /** Requests per second across all connections; unset = closed loop. */
  ratePerSecond?: number;
}

/** One request: epoch ms at send, latency ms, HTTP status (0 = connection error). */
export type Sent = [startMs: number, ms: number, status: number];

const o = workerData as KafkaLoadOptions;
const port = parentPort!;
const bodies = ndjsonBodies(o.bodies, o.perBody, o.seed);
const agent = keepAliveAgent(o.connections);
let stopped = false;
const epoch = () => performance.timeOrigin + performance.now();
port.on('message', (m: string) => {
  if (m === 'stop') stopped = true;
  if (m === 'start') void run().then((sent) => port.postMessage({ kind: 'done', sent }));
});
port.postMessage({ kind: 'ready', poolBytes: bodies.reduce((n, b) => n + b.length, 0) });

async function run(): Promise<Sent[]> {
  const t0 = performance.now();
  const sent: Sent[] = [];
  let next = 0;
  const connection = async () => {
    while (!stopped && performance.now() - t0 < o.durationMs) {
      const slot = next++;
      if (o.ratePerSecond) {
        const wait = t0 + (slot * 1000) / o.ratePerSecond - performance.now();
        if (wait > 0) await new Promise((r) => setTimeout(r, wait));
        if (stopped) break;
      }
      const started = epoch();
      const { status } = await request(agent, o.port, 'POST', '/api/v1/logs', bodies[slot % bodies.length]).catch(
        () => ({ status: 0 }),
      );
      sent.push([started, epoch() - started, status]);
    }
  };
  await Promise.all(Array.from({ length: o.connections }, connection));
  agent.destroy();
  return sent;
}
