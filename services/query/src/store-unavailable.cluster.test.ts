import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';
import type { FastifyInstance } from 'fastify';
import { parseApiKeys } from '@instant-logs/service-kit';
import { createHttpTransport, createLogStore, type ClickHouseTransport } from '@instant-logs/store';
import { startClickHouseCluster, type ClickHouseCluster } from '@instant-logs/testbed';
import { buildApp } from './app.ts';

let cluster: ClickHouseCluster;
let nodes: ClickHouseTransport[];
let app: FastifyInstance;

before(async () => {
  cluster = await startClickHouseCluster({ shards: 2 });
  nodes = cluster.servers.map((s) => createHttpTransport({ url: s.url, requestTimeoutMs: 10_000 }));
  const store = createLogStore(nodes[0]!, 'query_cluster', { cluster: { name: cluster.name, nodes } });
  await store.migrate();
  app = buildApp({ store, keyring: parseApiKeys('') });
  await app.ready();
});
after(async () => {
  await app?.close();
  await Promise.all((nodes ?? []).map((n) => n.close()));
  await cluster?.stop();
});

test('with a shard down the query API answers 503 QUERY_STORE_UNAVAILABLE at once, and 200 again once it is back', async () => {
  const ask = (url: string) => app.inject({ url });
  const urls = ['/api/v1/logs?from=now-1h', '/api/v1/logs/histogram?from=now-1h', '/api/v1/facets?from=now-1h'];
  for (const url of urls) assert.equal((await ask(url)).statusCode, 200, url);
  cluster.kill(1);
  for (const url of urls) {
    const started = Date.now();
    const res = await ask(url);
    assert.equal(res.statusCode, 503, `${url}: ${res.body}`);
    const { error } = res.json() as { error: { code: string; message: string } };
    assert.equal(error.code, 'QUERY_STORE_UNAVAILABLE');
    assert.match(error.message, /ClickHouse error 279/);
    assert.doesNotMatch(error.message, /127\.0\.0\.1/, 'no server addresses in the answer');
    assert.ok(Date.now() - started < 5_000, `${url} took ${Date.now() - started} ms`);
  }
  await cluster.restart(1);
  for (const url of urls) assert.equal((await ask(url)).statusCode, 200, url);
});
