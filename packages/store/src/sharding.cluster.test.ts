import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { parseQuery } from '@instant-logs/query-language';
import type { LogRecord } from '@instant-logs/schema';
import {
  startClickHouseCluster,
  startClickHouseServer,
  type ClickHouseCluster,
  type ClickHouseServer,
} from '@instant-logs/testbed';
import { createHttpTransport } from './http-transport.ts';
import { createLogStore, type LogFilter, type LogStore } from './log-store.ts';
import type { ClickHouseTransport } from './transport.ts';

const DB = 'sharded';
const HOUR = 3_600_000;
// Hour-aligned and recent, so the TTLs keep everything for the test's life.
const T0 = Math.floor(Date.now() / HOUR) * HOUR - 3 * HOUR;
const SERVICES = ['api', 'worker', 'web', 'db'];
const LEVELS = ['debug', 'info', 'warn', 'error'] as const;

function record(tenant: string, i: number): LogRecord {
  const ms = T0 + i * 4_321;
  const level = LEVELS[(i * 7) % 4]!;
  return {
    id: `${tenant}-${i}`,
    tenant,
    timestamp: `${new Date(ms).toISOString().slice(0, 19)}.${String((ms % 1000) * 1e6 + (i % 997)).padStart(9, '0')}Z`,
    observed_timestamp: new Date(ms).toISOString(),
    service: SERVICES[i % 4]!,
    level,
    severity_text: level.toUpperCase(),
    severity_number: 9,
    body: i % 9 === 0 ? `payment ${i} failed: card declined` : `request ${i} served`,
    attributes: { region: ['eu', 'us', 'ap'][i % 3]!, 'user.id': `u${i % 11}` },
    resource: { 'host.name': `host-${i % 5}` },
    trace_id: '',
    span_id: '',
  };
}

const lines = (records: LogRecord[]) => records.map((r) => JSON.stringify(r)).join('\n');
const filter = (tenant: string, over: Partial<LogFilter> = {}): LogFilter => ({
  tenant,
  fromNs: BigInt(T0) * 1_000_000n,
  toNs: BigInt(T0 + 2 * HOUR) * 1_000_000n,
  services: [],
  levels: [],
  query: null,
  ...over,
});

async function allPages(store: LogStore, f: LogFilter): Promise<string[]> {
  const ids: string[] = [];
  let cursor: string | undefined;
  do {
    const page = await store.search(f, { limit: 97, cursor });
    ids.push(...page.records.map((r) => r.id));
    cursor = page.nextCursor ?? undefined;
  } while (cursor);
  return ids;
}

describe('a log store over a 3-shard ClickHouse cluster answers as one server does', () => {
  let cluster: ClickHouseCluster;
  let single: ClickHouseServer;
  let nodes: ClickHouseTransport[];
  let singleTransport: ClickHouseTransport;
  let sharded: LogStore;
  let reference: LogStore;
  const written = [
    ...Array.from({ length: 1200 }, (_, i) => record('acme', i)),
    ...Array.from({ length: 300 }, (_, i) => record('globex', i)),
  ];

  const localCount = async (node: ClickHouseTransport, where = '1') =>
    Number((await node.query<{ n: string }>(`SELECT count() AS n FROM ${DB}.logs_local WHERE ${where}`))[0]?.n);
  const nodeFor = (i: number) => createHttpTransport({ url: cluster.servers[i]!.url, requestTimeoutMs: 10_000 });

  before(async () => {
    [cluster, single] = await Promise.all([
      startClickHouseCluster({ shards: 3 }),
      startClickHouseServer({ tcpPort: 0 }),
    ]);
    nodes = cluster.servers.map((_, i) => nodeFor(i));
    singleTransport = createHttpTransport({ url: single.url });
    sharded = createLogStore(nodes[0]!, DB, { cluster: { name: cluster.name, nodes } });
    reference = createLogStore(singleTransport, DB);
    assert.deepEqual((await sharded.migrate()).applied, [1, 2, 3, 4, 5, 6, 7]);
    await reference.migrate();
    // Batches of 300, alternately received by the first and the second server: any server takes writes.
    const other = createLogStore(nodes[1]!, DB, { cluster: { name: cluster.name, nodes } });
    for (let i = 0; i < written.length; i += 300) {
      const batch = lines(written.slice(i, i + 300));
      await ((i / 300) % 2 === 0 ? sharded : other).insert(batch, { dedupToken: `batch-${i}` });
      await reference.insert(batch, { dedupToken: `batch-${i}` });
    }
  });
  after(async () => {
    await Promise.all([...(nodes ?? []), singleTransport].map((t) => t?.close()));
    await Promise.all([cluster?.stop(), single?.stop()]);
  });

  test('every server holds shard-local tables and Distributed tables over them', async () => {
    for (const node of nodes) {
      const tables = await node.query<{ name: string; engine: string }>(
        `SELECT name, engine FROM system.tables WHERE database = {db:String} AND name IN
           ('logs', 'logs_local', 'logs_per_minute', 'logs_per_minute_local', 'logs_per_minute_stale', 'logs_per_minute_stale_local')
         ORDER BY name`,
        { db: DB },
      );
      assert.deepEqual(
        tables.map((t) => `${t.name}:${t.engine}`),
        [
          'logs:Distributed',
          'logs_local:MergeTree',
          'logs_per_minute:Distributed',
          'logs_per_minute_local:AggregatingMergeTree',
          'logs_per_minute_stale:Distributed',
          'logs_per_minute_stale_local:MergeTree',
        ],
      );
    }
  });

  test("records spread over every shard, each record on exactly one, a tenant's on all of them", async () => {
    const perShard = await Promise.all(nodes.map((n) => localCount(n)));
    const acme = await Promise.all(nodes.map((n) => localCount(n, `tenant = 'acme'`)));
    assert.equal(
      perShard.reduce((a, b) => a + b),
      written.length,
    );
    for (const n of acme) assert.ok(n > 1200 / 6, `a shard holds ${n} of acme's 1200 records: ${acme.join(', ')}`);
    const ids = (await Promise.all(nodes.map((n) => n.query<{ id: string }>(`SELECT id FROM ${DB}.logs_local`)))).map(
      (rows) => rows.map((r) => r.id),
    );
    assert.equal(new Set(ids.flat()).size, written.length);
  });

  test('search pages, counts, histograms, facets and usage equal those of one server fed the same records', async () => {
    for (const tenant of ['acme', 'globex']) {
      for (const f of [
        filter(tenant),
        filter(tenant, { query: parseQuery('failed') }),
        filter(tenant, { services: ['api', 'db'], levels: ['warn'] }),
      ]) {
        assert.deepEqual(await allPages(sharded, f), await allPages(reference, f));
        for (const source of ['auto', 'logs'] as const)
          assert.deepEqual(await sharded.histogram(f, 40, { source }), await reference.histogram(f, 40, { source }));
        for (const field of [{ kind: 'service' }, { kind: 'level' }, { kind: 'attribute', key: 'region' }] as const)
          assert.deepEqual(await sharded.facet(f, field, 10), await reference.facet(f, field, 10));
      }
      assert.equal(await sharded.count(tenant), await reference.count(tenant));
      assert.deepEqual(await sharded.usage(tenant), await reference.usage(tenant));
    }
    assert.equal(await sharded.count('acme'), 1200);
  });

  test("a one-server store's records move into a cluster with one INSERT … SELECT from remote(), none twice", async () => {
    // README "Scaling out, step by step": the statement a platform engineer runs on any server of the new cluster.
    const moved = createLogStore(nodes[2]!, 'moved', { cluster: { name: cluster.name, nodes } });
    await moved.migrate();
    // A batch the old server stored just before it stopped, retried by a processor against the cluster.
    await moved.insert(lines(written.slice(600, 900)), { dedupToken: 'batch-600' });
    await nodes[2]!.command(
      `INSERT INTO moved.logs SELECT * FROM remote('127.0.0.1:${single.tcpPort}', ${DB}.logs, 'default', '')
       WHERE id GLOBAL NOT IN (SELECT id FROM moved.logs)
       SETTINGS distributed_foreground_insert = 1`,
    );
    const perShard = await Promise.all(
      nodes.map((n) => n.query<{ n: string }>('SELECT count() AS n FROM moved.logs_local')),
    );
    assert.ok(
      perShard.every(([row]) => Number(row?.n) > 0),
      `every shard takes a share: ${JSON.stringify(perShard)}`,
    );
    for (const tenant of ['acme', 'globex']) {
      assert.deepEqual(await allPages(moved, filter(tenant)), await allPages(reference, filter(tenant)));
      // The rollup's view fires on each shard as the rows land, so histograms read it as for new records.
      assert.deepEqual(await moved.histogram(filter(tenant), 40), await reference.histogram(filter(tenant), 40));
    }
  });

  test('a retried batch is stored once: it splits over the shards as before and each drops its part', async () => {
    await sharded.insert(lines(written.slice(0, 300)), { dedupToken: 'batch-0' });
    assert.equal(await sharded.count('acme'), 1200);
  });

  test('a delete removes the matching records from every shard and histograms over them stay exact', async () => {
    const doomed = filter('globex', { query: parseQuery('failed') });
    const expected = await reference.deleteLogs(doomed);
    assert.ok(expected.deleted > 0);
    assert.deepEqual(await sharded.deleteLogs(doomed), expected);
    for (const node of nodes) assert.equal(await localCount(node, `tenant = 'globex' AND body LIKE '%failed%'`), 0);
    assert.deepEqual(await sharded.histogram(filter('globex'), 40), await reference.histogram(filter('globex'), 40));
  });

  test('migrating again applies nothing on any server', async () => {
    assert.deepEqual((await sharded.migrate()).applied, []);
    for (const node of nodes) {
      const rows = await node.query<{ v: number }>(`SELECT version AS v FROM ${DB}.schema_migrations ORDER BY v`);
      assert.deepEqual(
        rows.map((r) => Number(r.v)),
        [1, 2, 3, 4, 5, 6, 7],
      );
    }
  });
});
