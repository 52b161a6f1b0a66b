import { keepAliveAgent } from './http.ts';
import { prepareLoad, type LoadOptions, type LoadResult } from './load.ts';
import { insertActivity, scrape } from './metrics.ts';
import type { ServerHandle } from './server.ts';
import { coreMeter, cpuPressure, load, machineMeter, round, summarize, threadMeter } from './stats.ts';

/** A load without its target: the caller supplies the server. */
export type LoadShape = Omit<LoadOptions, 'port' | 'seed'>;

/** Pure: rate and acknowledgement latency of a load run. */
export function rates(r: LoadResult, o: { connections: number; perBody: number; warmupMs: number }) {
  const s = r.windowMs / 1000;
  return {
    connections: o.connections,
    recordsPerRequest: o.perBody,
    warmupS: o.warmupMs / 1000,
    windowS: round(s),
    recordsPerS: Math.round(r.records / s),
    mbPerS: round(r.bytes / s / 1e6, 2),
    ackMs: summarize(r.latenciesMs),
    statuses: r.statuses,
  };
}

/** Runs one load against `server` and reports rate, latency, the processor's batches and who used the CPU. */
export async function measureLoad(server: ServerHandle, shape: LoadShape, seed = 42) {
  const loadRun = await prepareLoad({ ...shape, port: server.port, seed });
  const agent = keepAliveAgent(1);
  const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));
  // Meters and /metrics scrapes bracket exactly the measurement window, after the worker's warm-up.
  const window = (async () => {
    await sleep(shape.warmupMs);
    const before = await scrape(agent, server.port);
    const meters = {
      server: coreMeter(server.pid),
      client: coreMeter('self'),
      machine: machineMeter(),
      threads: threadMeter(server.pid),
    };
    await sleep(shape.durationMs);
    // "machine" counts every process: the rest of it is other people's builds and tests.
    const cores = {
      server: meters.server(),
      client: meters.client(),
      machine: meters.machine(),
      serverThreads: meters.threads().slice(0, 8),
    };
    return { cores, processor: insertActivity(before, await scrape(agent, server.port), shape.durationMs) };
  })();
  const result = await loadRun.run();
  const { cores, processor } = await window;
  agent.destroy();
  return {
    ...rates(result, shape),
    cores,
    processor,
    load: load(),
    cpuPressure: cpuPressure(),
    latenciesMs: result.latenciesMs,
  };
}
