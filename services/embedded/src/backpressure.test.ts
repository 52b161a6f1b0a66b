import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { openSegmentLog, type SegmentLog } from '@instant-logs/queue';
import { parseApiKeys } from '@instant-logs/service-kit';
import { createHttpTransport, createLogStore, type LogStore } from '@instant-logs/store';
import { rawConnection, requestHead, startClickHouseServer, type ClickHouseServer } from '@instant-logs/testbed';
import { LogPage } from '@instant-logs/schema';
import { buildEmbeddedPipeline, type EmbeddedPipeline } from './app.ts';
import { eventually } from './test-pipeline.ts';

// The store really goes away: a ClickHouse server process is killed and restarted under the pipeline.
let server: ClickHouseServer;
let store: LogStore;
const dataDir = mkdtempSync(join(tmpdir(), 'idl-backpressure-'));

before(async () => {
  server = await startClickHouseServer({ dataDir });
  store = createLogStore(createHttpTransport({ url: server.url, requestTimeoutMs: 2000 }), 'backpressure');
  await store.migrate();
});
after(async () => {
  server.kill();
  await server.stop();
});

const restartServer = async () => {
  server = await startClickHouseServer({ dataDir, port: server.port });
};
const records = (n: number, tag: string) =>
  Array.from({ length: n }, (_, i) => ({ service: 'bp', message: `${tag} ${i}` }));
const post = (p: EmbeddedPipeline, payload: object[]) =>
  p.app.inject({ method: 'POST', url: '/api/v1/logs', payload, headers: { 'content-type': 'application/json' } });
const drained = (log: SegmentLog, timeoutMs = 60_000) =>
  eventually(async () => (log.unstoredBytes() === 0 ? true : undefined), timeoutMs, 'the log drained into the store');

/** A pipeline behind a fresh local log, its inserts retried fast; close() closes both. */
async function pipelineBehindLog(wal: { maxWaitMs: number; maxUnstoredBytes: number; maxLagMs?: number }) {
  const walDir = mkdtempSync(join(tmpdir(), 'idl-wal-backpressure-'));
  const log = await openSegmentLog({ dir: walDir, segmentBytes: 1 << 20 });
  const processor = {
    maxWaitMs: wal.maxWaitMs,
    backoff: { initialMs: 20, maxMs: 200 },
    deadLetterFile: join(walDir, 'dead-letters.ndjson'),
  };
  const { maxUnstoredBytes, maxLagMs } = wal;
  const p = buildEmbeddedPipeline({
    store,
    keyring: parseApiKeys(''),
    wal: { log, maxUnstoredBytes, ...(maxLagMs === undefined ? {} : { maxLagMs }), processor },
  });
  return {
    p,
    log,
    async close() {
      await p.close();
      await log.close();
    },
  };
}

test('while the log is full, a new request is refused with 429 before its body is read, and readiness is 503', async () => {
  const { p, log, close } = await pipelineBehindLog({ maxWaitMs: 50, maxUnstoredBytes: 5_000 });
  try {
    await p.app.listen({ host: '127.0.0.1', port: 0 });
    const address = p.app.server.address();
    const port = typeof address === 'object' && address ? address.port : 0;
    server.kill();
    await server.stop();
    // An empty log takes a request of any size; ~10 KB puts it past its 5,000-byte limit at once.
    assert.equal((await post(p, records(10, `backlog ${'x'.repeat(900)}`))).statusCode, 202);
    assert.ok(log.unstoredBytes() >= 5_000);
    const unread = await rawConnection(port);
    unread.socket.write(
      requestHead('POST', '/api/v1/logs', { 'content-type': 'application/json', 'content-length': 1_000_000 }),
    );
    const res = await unread.response;
    unread.socket.destroy();
    assert.equal(res.status, 429);
    assert.equal(res.headers['retry-after'], '1');
    assert.match(
      JSON.parse(res.body).error.message,
      /bytes in the local log are waiting to be stored, at the limit of 5000/,
    );
    assert.equal((await p.app.inject({ method: 'GET', url: '/readyz' })).statusCode, 503);
    await restartServer();
    await drained(log);
    await eventually(
      async () => ((await p.app.inject({ method: 'GET', url: '/readyz' })).statusCode === 200 ? true : undefined),
      10_000,
      'ready again',
    );
  } finally {
    await close();
  }
});

test('while the store is down the log keeps acknowledging up to its byte limit, then 429; once the store is back every record is stored once', async () => {
  const { p, log, close } = await pipelineBehindLog({ maxWaitMs: 50, maxUnstoredBytes: 40_000 });
  try {
    server.kill();
    await server.stop();
    const send = (i: number) =>
      post(
        p,
        Array.from({ length: 10 }, (_, j) => ({ service: 'outage', message: `waited ${i}-${j} ${'x'.repeat(900)}` })),
      );
    let accepted = 0;
    let refused;
    for (let i = 0; i < 20 && !refused; i++) {
      const res = await send(i);
      if (res.statusCode === 202) accepted += 10;
      else refused = res;
    }
    // ~10 KB a request against a 40 KB limit: a few are acknowledged from the log alone.
    assert.ok(accepted >= 30, `accepted ${accepted}`);
    assert.equal(refused?.statusCode, 429);
    assert.equal(refused?.json().error.code, 'COLLECTOR_QUEUE_FULL');
    assert.ok(Number(refused?.headers['retry-after']) >= 1);
    assert.ok(log.unstoredBytes() > 30_000);

    server = await startClickHouseServer({ dataDir, port: server.port });
    await drained(log);
    const page = await p.app.inject({ method: 'GET', url: '/api/v1/logs?from=now-1h&service=outage&limit=1000' });
    const bodies = LogPage.parse(page.json()).records.map((r) => r.body);
    assert.equal(bodies.length, accepted);
    assert.equal(new Set(bodies).size, accepted, 'each acknowledged record stored exactly once');
    assert.equal((await send(99)).statusCode, 202);
  } finally {
    await close();
  }
});

test('a request gets 429 when the oldest acknowledged record has waited past WAL_MAX_LAG_MS for longer than it can hold, except while the store is down; the lag is a metric', async () => {
  // A batch waits 4 s for companions: longer than the lag allowed, so the store falls behind it on purpose.
  const { p, log, close } = await pipelineBehindLog({ maxWaitMs: 4_000, maxUnstoredBytes: 1 << 30, maxLagMs: 300 });
  const send = (tag: string) => post(p, records(5, tag));
  const lagPast300 = () =>
    eventually(async () => (log.unstoredAgeMs() > 300 ? true : undefined), 10_000, 'lag > 300 ms');
  try {
    assert.equal((await send('lagging')).statusCode, 202);
    await lagPast300();
    const metrics = (await p.app.inject({ method: 'GET', url: '/metrics' })).body;
    const lag = Number(/^instant_logs_wal_lag_seconds (\S+)$/m.exec(metrics)?.[1]);
    assert.ok(lag > 0.3, `lag gauge ${lag}`);
    const refused = await send('refused-for-lag');
    assert.equal(refused.statusCode, 429);
    assert.equal(refused.json().error.code, 'COLLECTOR_OVERLOADED');
    assert.match(
      refused.json().error.message,
      /waited \d+ ms to be stored, beyond the limit of 300 ms \(WAL_MAX_LAG_MS\); waited 300 ms for it to catch up/,
    );
    assert.equal(refused.headers['retry-after'], '1');
    assert.equal((await p.app.inject({ method: 'GET', url: '/readyz' })).statusCode, 503);
    await drained(log);
    assert.equal(log.unstoredAgeMs(), 0);

    // The store goes away: the log goes on acknowledging past the lag, up to its byte limit.
    server.kill();
    await server.stop();
    assert.equal((await send('during-outage-1')).statusCode, 202);
    await eventually(async () => (p.logProcessor!.storeFailing() ? true : undefined), 10_000, 'inserts failing');
    await lagPast300();
    assert.equal((await send('during-outage-2')).statusCode, 202);

    await restartServer();
    await drained(log);
    assert.equal((await send('after')).statusCode, 202);
    await drained(log);
    const page = await p.app.inject({ method: 'GET', url: '/api/v1/logs?from=now-1h&service=bp&limit=1000' });
    const bodies = LogPage.parse(page.json()).records.map((r) => r.body);
    for (const tag of ['lagging', 'during-outage-1', 'during-outage-2', 'after'])
      assert.equal(bodies.filter((b) => b.startsWith(`${tag} `)).length, 5, `${tag}: each record stored once`);
    assert.equal(bodies.filter((b) => b.startsWith('refused-for-lag')).length, 0);
  } finally {
    await close();
  }
});

test('a request that arrives while the store is behind waits unread until a batch is stored, then is acknowledged', async () => {
  // Batches wait 2 s; the lag allowed is 1.5 s: a request after 1.5 s waits for the batch at 2 s.
  const { p, log, close } = await pipelineBehindLog({ maxWaitMs: 2_000, maxUnstoredBytes: 1 << 30, maxLagMs: 1_500 });
  const send = (tag: string) => post(p, records(5, tag));
  const stored = async (tag: string) => {
    const page = await p.app.inject({ method: 'GET', url: `/api/v1/logs?from=now-1h&service=bp&q=${tag}&limit=100` });
    return LogPage.parse(page.json()).records.length;
  };
  try {
    assert.equal((await send('first-of-hold')).statusCode, 202);
    await eventually(async () => (log.unstoredAgeMs() > 1_500 ? true : undefined), 10_000, 'lag > 1.5 s');
    assert.equal(await stored('first-of-hold'), 0, 'still waiting for its batch');
    const held = await send('held');
    assert.equal(held.statusCode, 202);
    // Answered only after the batch ahead of it was stored: the 202 came late, not at once.
    assert.equal(await stored('first-of-hold'), 5);
    await drained(log, 10_000);
    assert.equal(await stored('held'), 5);
  } finally {
    await close();
  }
});
