import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { startClickHouseCluster, type ClickHouseCluster } from '@instant-logs/testbed';
import { createHttpTransport } from './http-transport.ts';
import { createLogStore, type LogStore } from './log-store.ts';
import { StoreError, type ClickHouseTransport } from './transport.ts';

// Two shards: the store talks to the first, the second is killed and restarted. With a third server,
// the receiving server resets its connection to that live shard when the insert fails on the dead one,
// and libchdb 26.7's TCP handler lets the NETWORK_ERROR escape a thread: std::terminate, SIGABRT (about
// 1 run in 5 here). With two, every live shard is local to the server the store talks to.
const DB = 'faults';
const now = Date.now();

const lines = (tenant: string, n: number) =>
  Array.from({ length: n }, (_, i) =>
    JSON.stringify({
      id: `${tenant}-${i}`,
      tenant,
      timestamp: new Date(now - i * 1000).toISOString(),
      observed_timestamp: new Date(now).toISOString(),
      service: ['api', 'worker'][i % 2],
      level: 'info',
      severity_text: 'INFO',
      severity_number: 9,
      body: `request ${i} served`,
      attributes: {},
      resource: {},
      trace_id: '',
      span_id: '',
    }),
  ).join('\n');

describe('a shard that is down', () => {
  let cluster: ClickHouseCluster;
  let nodes: ClickHouseTransport[];
  let store: LogStore;
  const perShard = () =>
    Promise.all(
      nodes.map(async (n) => Number((await n.query<{ n: string }>(`SELECT count() AS n FROM ${DB}.logs_local`))[0]?.n)),
    );

  before(async () => {
    cluster = await startClickHouseCluster({ shards: 2 });
    nodes = cluster.servers.map((s) => createHttpTransport({ url: s.url, requestTimeoutMs: 10_000 }));
    store = createLogStore(nodes[0]!, DB, { cluster: { name: cluster.name, nodes } });
    await store.migrate();
    await store.insert(lines('acme', 400), { dedupToken: 'acme-1' });
    assert.ok((await perShard()).every((n) => n > 0));
  });
  after(async () => {
    await Promise.all((nodes ?? []).map((t) => t.close()));
    await cluster?.stop();
  });

  test('fails reads at once with a retryable error naming it, never a short answer', async () => {
    cluster.kill(1);
    const started = Date.now();
    const err = await store.count('acme').then(
      () => assert.fail('the count answered without a shard'),
      (e: unknown) => e,
    );
    const took = Date.now() - started;
    assert.ok(err instanceof StoreError);
    assert.equal(err.clickhouseCode, 279); // ALL_CONNECTION_TRIES_FAILED
    assert.equal(err.transient, true);
    assert.match(err.message, new RegExp(`127\\.0\\.0\\.1:${cluster.servers[1]!.tcpPort}`));
    assert.ok(took < 5_000, `the error took ${took} ms`);
    for (const read of [
      () =>
        store.search(
          { tenant: 'acme', fromNs: 0n, toNs: BigInt(now + 1) * 1_000_000n, services: [], levels: [], query: null },
          { limit: 10 },
        ),
      () =>
        store.facet(
          { tenant: 'acme', fromNs: 0n, toNs: BigInt(now + 1) * 1_000_000n, services: [], levels: [], query: null },
          { kind: 'service' },
          5,
        ),
    ])
      await assert.rejects(read(), (e) => e instanceof StoreError && e.transient);
  });

  test('fails an insert with a retryable error; its retry after the restart stores every record once', async () => {
    const batch = lines('late', 300);
    await assert.rejects(store.insert(batch, { dedupToken: 'late-1' }), (e) => e instanceof StoreError && e.transient);
    // Whatever part of the batch the live shard wrote before the insert failed, the retry must not repeat.
    await cluster.restart(1);
    await store.insert(batch, { dedupToken: 'late-1' });
    assert.equal(await store.count('late'), 300);
    assert.equal(await store.count('acme'), 400);
    const [first, second] = await perShard();
    assert.equal(first! + second!, 700);
    assert.ok(second! > 400 / 4, `the restarted shard holds ${second} records`);
  });
});
