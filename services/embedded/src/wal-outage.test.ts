import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { openSegmentLog } from '@instant-logs/queue';
import { LogPage } from '@instant-logs/schema';
import { parseApiKeys } from '@instant-logs/service-kit';
import { createHttpTransport, createLogStore, type LogStore } from '@instant-logs/store';
import { startClickHouseServer, type ClickHouseServer } from '@instant-logs/testbed';
import { buildEmbeddedPipeline } from './app.ts';
import { eventually } from './test-pipeline.ts';

// The store really goes away: a ClickHouse server process is killed and restarted under the pipeline.
let server: ClickHouseServer;
let store: LogStore;
const dataDir = mkdtempSync(join(tmpdir(), 'idl-wal-outage-'));

before(async () => {
  server = await startClickHouseServer({ dataDir });
  store = createLogStore(createHttpTransport({ url: server.url, requestTimeoutMs: 2000 }), 'wal_outage');
  await store.migrate();
});
after(async () => {
  server.kill();
  await server.stop();
});

test('while the store is down the log keeps acknowledging up to its byte limit, then 429; once the store is back every record is stored once', async () => {
  const walDir = mkdtempSync(join(tmpdir(), 'idl-wal-outage-log-'));
  const log = await openSegmentLog({ dir: walDir, segmentBytes: 1 << 20 });
  const processor = { maxWaitMs: 50, backoff: { initialMs: 20, maxMs: 200 }, deadLetterFile: join(walDir, 'dead-letters.ndjson') };
  const p = buildEmbeddedPipeline({ store, keyring: parseApiKeys(''), wal: { log, maxUnstoredBytes: 40_000, processor } });
  try {
    server.kill();
    await server.stop();
    const send = (i: number) =>
      p.app.inject({
        method: 'POST',
        url: '/api/v1/logs',
        payload: Array.from({ length: 10 }, (_, j) => ({ service: 'outage', message: `waited ${i}-${j} ${'x'.repeat(900)}` })),
        headers: { 'content-type': 'application/json' },
      });
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
    await eventually(async () => (log.unstoredBytes() === 0 ? true : undefined), 60_000, 'the log drained into the store');
    const page = await p.app.inject({ method: 'GET', url: '/api/v1/logs?from=now-1h&service=outage&limit=1000' });
    const bodies = LogPage.parse(page.json()).records.map((r) => r.body);
    assert.equal(bodies.length, accepted);
    assert.equal(new Set(bodies).size, accepted, 'each acknowledged record stored exactly once');
    assert.equal((await send(99)).statusCode, 202);
  } finally {
    await p.close();
    await log.close();
  }
});
