import { test } from 'node:test';
import assert from 'node:assert/strict';
import { Worker } from 'node:worker_threads';
import { waitUntil } from '@instant-logs/testbed';
import { startProbeThread } from './probe-thread.ts';

const get = async (port: number, path: string) => {
  const res = await fetch(`http://127.0.0.1:${port}${path}`);
  return { status: res.status, body: (await res.json()) as Record<string, unknown> };
};

/** Holds this thread's event loop, as a 5 MB body being normalised would. */
function block(ms: number): void {
  const until = Date.now() + ms;
  while (Date.now() < until);
}

/**
 * A prober on a thread of its own (this thread's loop will be blocked): GETs `path` every 20 ms and
 * reports each answer's status, start time and duration when asked.
 */
function prober(
  port: number,
  path: string,
): { results: () => Promise<{ status: number; at: number; ms: number }[]>; stop: () => Promise<number> } {
  const code = `
    const { parentPort, workerData } = require('node:worker_threads');
    const results = [];
    let running = true;
    parentPort.on('message', () => { running = false; });
    (async () => {
      while (running) {
        const at = Date.now();
        const status = await fetch('http://127.0.0.1:' + workerData.port + workerData.path).then((r) => r.arrayBuffer().then(() => r.status), () => 0);
        results.push({ status, at, ms: Date.now() - at });
        await new Promise((r) => setTimeout(r, 20));
      }
      parentPort.postMessage(results);
    })();`;
  const worker = new Worker(code, { eval: true, workerData: { port, path } });
  const done = new Promise<{ status: number; at: number; ms: number }[]>((resolve) => worker.once('message', resolve));
  return {
    results: () => {
      worker.postMessage('stop');
      return done;
    },
    stop: () => worker.terminate(),
  };
}

test('the probe port answers health and follows readiness as the event loop last saw it', async () => {
  let ready = false;
  const probes = await startProbeThread({ host: '127.0.0.1', port: 0, ready: async () => ready, refreshMs: 20 });
  try {
    assert.deepEqual(await get(probes.port, '/healthz'), { status: 200, body: { status: 'ok' } });
    assert.deepEqual(await get(probes.port, '/readyz'), { status: 503, body: { status: 'not ready' } });
    ready = true;
    await waitUntil('ready', async () => (await get(probes.port, '/readyz')).status === 200 || undefined, 5_000, 10);
    assert.equal((await get(probes.port, '/metrics')).status, 404);
  } finally {
    await probes.close();
  }
});

test('probes are answered while the event loop is held', async () => {
  const probes = await startProbeThread({ host: '127.0.0.1', port: 0, ready: async () => true, refreshMs: 20 });
  const client = prober(probes.port, '/healthz');
  try {
    await waitUntil(
      'the prober running',
      async () => (await get(probes.port, '/healthz')).status === 200 || undefined,
      5_000,
      10,
    );
    const from = Date.now();
    block(1_500);
    const to = Date.now();
    // Begun and answered while this event loop could not have answered anything (counts are low on a loaded machine).
    const during = (await client.results()).filter((r) => r.at >= from && r.at + r.ms <= to);
    assert.ok(during.length >= 3, `only ${during.length} probes were answered while the loop was held`);
    assert.ok(
      during.every((r) => r.status === 200),
      JSON.stringify(during),
    );
  } finally {
    await client.stop();
    await probes.close();
  }
});

test('an event loop silent longer than the stall limit is reported dead, and alive again once it beats', async () => {
  const probes = await startProbeThread({
    host: '127.0.0.1',
    port: 0,
    ready: async () => true,
    refreshMs: 20,
    stallMs: 300,
  });
  const client = prober(probes.port, '/healthz');
  try {
    await waitUntil(
      'the prober running',
      async () => (await get(probes.port, '/healthz')).status === 200 || undefined,
      5_000,
      10,
    );
    block(1_000);
    await waitUntil(
      'alive again',
      async () => (await get(probes.port, '/healthz')).status === 200 || undefined,
      5_000,
      10,
    );
    const statuses = (await client.results()).map((r) => r.status);
    assert.ok(statuses.includes(503), `no 503 while the loop was silent: ${statuses.join(',')}`);
  } finally {
    await client.stop();
    await probes.close();
  }
});
