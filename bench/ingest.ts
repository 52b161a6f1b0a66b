// Phase 1 and 2: ingest throughput, acknowledgement latency and ingest→queryable latency against
// the embedded server as a child process. Usage: node bench/ingest.ts <out.json> [script] [connections]
import { randomBytes } from 'node:crypto';
import { writeFileSync } from 'node:fs';
import { honourRetryAfter, keepAliveAgent, request } from './lib/http.ts';
import { prepareLoad } from './lib/load.ts';
import { measureLoad, rates, type LoadShape } from './lib/measure.ts';
import { startServer, type ServerHandle } from './lib/server.ts';
import { load, summarize } from './lib/stats.ts';

const [out = '/tmp/ingest.json', script, connectionsArg] = process.argv.slice(2);
const CONNECTIONS = Number(connectionsArg ?? 8);

/** Phase 2: marker records sent one at a time under background load, polled until a search finds them. */
async function queryable(server: ServerHandle, bg: LoadShape, markers: number) {
  const background = await prepareLoad({ ...bg, port: server.port, seed: 7 });
  const bgRun = background.run();
  await new Promise((r) => setTimeout(r, 2000));
  const agent = keepAliveAgent(2);
  const ack: number[] = [];
  const visible: number[] = [];
  let extraPolls = 0;
  let refusedMarkers = 0;
  for (let i = 0; i < markers; i++) {
    const marker = `mk${randomBytes(8).toString('hex')}`;
    const body = Buffer.from(
      JSON.stringify({ service: 'bench-probe', level: 'info', message: `queryable probe ${marker}` }),
    );
    let t0 = performance.now();
    // Refused with Retry-After (the store is behind): sent again after the wait, as a shipper would.
    // Ingest → queryable counts from the request that was acknowledged.
    for (;;) {
      const posted = await request(agent, server.port, 'POST', '/api/v1/logs', body);
      if (posted.status === 202) break;
      if (!(await honourRetryAfter(posted))) throw new Error(`Marker refused: HTTP ${posted.status} ${posted.text}`);
      refusedMarkers++;
      t0 = performance.now();
    }
    ack.push(performance.now() - t0);
    for (let polls = 0; ; polls++) {
      const found = await request(agent, server.port, 'GET', `/api/v1/logs?q=${marker}&limit=1`);
      if ((JSON.parse(found.text) as { records: unknown[] }).records.length > 0) break;
      if (performance.now() - t0 > 30_000) throw new Error(`Marker ${marker} not queryable after 30 s`);
      extraPolls++;
      await new Promise((r) => setTimeout(r, 2));
    }
    visible.push(performance.now() - t0);
    await new Promise((r) => setTimeout(r, 100));
  }
  background.stop();
  const bgResult = await bgRun;
  agent.destroy();
  return {
    markers,
    ackMs: summarize(ack),
    queryableMs: summarize(visible),
    // 0 means every marker was found by the first search after its 202: the ack is read-your-write.
    pollsAfterAck: extraPolls,
    refusedMarkers,
    background: { ...rates(bgResult, bg), ratePerSecond: bg.ratePerSecond ?? null },
    load: load(),
  };
}

/** measureLoad without the raw latencies, which only the summary needs. */
async function measure(server: ServerHandle, shape: LoadShape) {
  const { latenciesMs: _, ...result } = await measureLoad(server, shape);
  return result;
}

const server = await startServer(script ? { script } : {});
try {
  const light = await measure(server, { connections: 1, perBody: 100, bodies: 50, warmupMs: 2000, durationMs: 10_000 });
  const sustained = await measure(server, {
    connections: CONNECTIONS,
    perBody: 1000,
    bodies: 64,
    warmupMs: 5000,
    durationMs: 20_000,
  });
  // Background at about a third of what this machine sustains (paced), then saturating (closed loop).
  const long = { perBody: 1000, bodies: 32, warmupMs: 2000, durationMs: 120_000 };
  const moderate = await queryable(server, { ...long, connections: 8, ratePerSecond: 10 }, 60);
  const saturated = await queryable(server, { ...long, connections: 4 }, 50);
  writeFileSync(out, JSON.stringify({ light, sustained, queryable: moderate, queryableSaturated: saturated }, null, 2));
} finally {
  await server.stop();
}
