import assert from 'node:assert/strict';
import { mkdtemp, rm } from 'node:fs/promises';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import { startClickHouseServer, type ClickHouseServer } from '@instant-logs/testbed';
import { createHttpTransport } from './http-transport.ts';
import { describeTransportContract, isStoreError, openHttpForTest } from './transport-contract.ts';
import { StoreError, type ClickHouseTransport } from './transport.ts';

describeTransportContract('http', openHttpForTest);

describe('http transport against a real server that fails', () => {
  const user = { name: 'ingest', password: 'pa$$ "word"' };
  const db = 'faults';
  let dataDir: string;
  let server: ClickHouseServer;
  let t: ClickHouseTransport;

  // Same directory and port, so the transport created before the restart can reach it again.
  const restart = async () => {
    server.kill();
    await server.stop();
    server = await startClickHouseServer({ dataDir, port: server.port, users: [user] });
  };

  before(async () => {
    dataDir = await mkdtemp(join(tmpdir(), 'http-transport-faults-'));
    server = await startClickHouseServer({ dataDir, users: [user] });
    t = createHttpTransport({ url: server.url, username: user.name, password: user.password, requestTimeoutMs: 5_000 });
    await t.command(`CREATE DATABASE ${db}`);
    await t.command(`CREATE TABLE ${db}.events (id UInt32, body String) ENGINE = MergeTree ORDER BY id`);
  });
  after(async () => {
    await t?.close();
    await server?.stop();
    await rm(dataDir, { recursive: true, force: true });
  });

  test('a wrong password is a permanent StoreError with code 516', async () => {
    const wrong = createHttpTransport({ url: server.url, username: user.name, password: 'nope' });
    try {
      await assert.rejects(wrong.ping(), (err) => isStoreError(err, 516));
      await assert.rejects(wrong.query('SELECT 1'), (err) => isStoreError(err, 516));
    } finally {
      await wrong.close();
    }
  });

  test('a request that outlives requestTimeoutMs is a transient StoreError', async () => {
    const impatient = createHttpTransport({
      url: server.url,
      username: user.name,
      password: user.password,
      requestTimeoutMs: 100,
    });
    try {
      await assert.rejects(impatient.query('SELECT sleep(1)'), (err) => isTransient(err));
    } finally {
      await impatient.close();
    }
  });

  test('a killed server makes ping and insert reject with a transient StoreError', async () => {
    await t.ping();
    server.kill();
    await server.stop(); // waits for the exit
    await assert.rejects(t.ping(), (err) => isTransient(err));
    await assert.rejects(t.insertJsonEachRow(`${db}.events`, '{"id":1,"body":"lost"}'), (err) => isTransient(err));
    await assert.rejects(t.query(`SELECT 1`), (err) => isTransient(err));
    server = await startClickHouseServer({ dataDir, port: server.port, users: [user] });
  });

  test('a server restarted on the same data directory keeps the data and the transport works again', async () => {
    await t.insertJsonEachRow(`${db}.events`, '{"id":2,"body":"before"}', { dedupToken: 'restart-1' });
    await restart();
    await t.ping();
    await t.insertJsonEachRow(`${db}.events`, '{"id":3,"body":"after"}');
    assert.deepEqual(await t.query(`SELECT id, body FROM ${db}.events ORDER BY id`), [
      { id: 2, body: 'before' },
      { id: 3, body: 'after' },
    ]);
  });
});

describe('http transport behind a proxy that answers without ClickHouse', () => {
  test('a 5xx page without a ClickHouse code is a transient StoreError', async () => {
    await withProxy(503, 'no healthy upstream', async (t) => {
      await assert.rejects(t.ping(), (err) => isTransient(err));
    });
  });

  test('a 4xx page without a ClickHouse code is a permanent StoreError', async () => {
    await withProxy(404, 'not found', async (t) => {
      await assert.rejects(t.query('SELECT 1'), (err) => isStoreError(err));
    });
  });
});

// Stands in for a load balancer in front of ClickHouse: a plain-text page, no exception code.
async function withProxy(status: number, page: string, fn: (t: ClickHouseTransport) => Promise<void>): Promise<void> {
  const proxy: Server = createServer((req, res) => req.resume().on('end', () => res.writeHead(status).end(page)));
  await new Promise<void>((resolve) => proxy.listen(0, '127.0.0.1', resolve));
  const t = createHttpTransport({ url: `http://127.0.0.1:${(proxy.address() as AddressInfo).port}` });
  try {
    await fn(t);
  } finally {
    await t.close();
    await new Promise<void>((resolve) => proxy.close(() => resolve()));
  }
}

function isTransient(err: unknown): true {
  assert.ok(err instanceof StoreError, `expected StoreError, got ${String(err)}`);
  assert.equal(err.transient, true, err.message);
  return true;
}
