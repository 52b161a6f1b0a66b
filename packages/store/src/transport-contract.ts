import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import { startClickHouseCluster, startClickHouseServer } from '@instant-logs/testbed';
import type { LogStoreOptions } from './log-store.ts';
import { createChdbTransport } from './chdb-transport.ts';
import { createHttpTransport } from './http-transport.ts';
import { StoreError, type ClickHouseTransport } from './transport.ts';

export interface OpenedTransport {
  transport: ClickHouseTransport;
  /** How a store over this transport must be built (a cluster's layout); omitted: one server. */
  storeOptions?: Pick<LogStoreOptions, 'cluster'>;
  close(): Promise<void>;
}

/** Registers node:test tests that every ClickHouseTransport must pass, against a real ClickHouse. */
export function describeTransportContract(name: string, open: () => Promise<OpenedTransport>): void {
  describe(`${name} transport contract`, () => {
    const db = `contract_${randomBytes(6).toString('hex')}`;
    let opened: OpenedTransport;
    let t: ClickHouseTransport;

    before(async () => {
      opened = await open();
      t = opened.transport;
      await t.command(`CREATE DATABASE ${db}`);
    });
    after(async () => {
      await t?.command(`DROP DATABASE IF EXISTS ${db}`).catch(() => {});
      await opened?.close();
    });

    test('ping resolves while the server is up', async () => {
      await t.ping();
    });

    test('inserted rows come back exactly: nanoseconds, maps, unicode, quotes and newlines', async () => {
      await t.command(
        `CREATE TABLE ${db}.round_trip (id UInt64, ts DateTime64(9, 'UTC'), attrs Map(String, String), body String)
         ENGINE = MergeTree ORDER BY id`,
      );
      const body = 'héllo 世界 🚀 "double" \'single\' back\\slash\ttab\nsecond line';
      const rows = [
        { id: 1, ts: '2024-05-06 07:08:09.123456789', attrs: { 'k.1': 'v"1', ключ: 'значение' }, body },
        // best_effort parses ISO 8601 with a zone, keeping all nine digits.
        { id: '18446744073709551615', ts: '2024-05-06T07:08:09.000000001Z', attrs: {}, body: '' },
      ];
      await t.insertJsonEachRow(`${db}.round_trip`, rows.map((r) => JSON.stringify(r)).join('\n'));
      const got = await t.query<{ id: string; ts: string; attrs: Record<string, string>; body: string }>(
        `SELECT id, ts, attrs, body FROM ${db}.round_trip ORDER BY id`,
      );
      assert.deepEqual(got, [
        { id: '1', ts: '2024-05-06 07:08:09.123456789', attrs: { 'k.1': 'v"1', ключ: 'значение' }, body },
        { id: '18446744073709551615', ts: '2024-05-06 07:08:09.000000001', attrs: {}, body: '' },
      ]);
    });

    test('rows given as a Buffer insert the same as text', async () => {
      await t.command(`CREATE TABLE ${db}.buffered (id UInt32, s String) ENGINE = MergeTree ORDER BY id`);
      await t.insertJsonEachRow(`${db}.buffered`, Buffer.from('{"id":1,"s":"a"}\n{"id":2,"s":"b"}\n'));
      assert.deepEqual(await t.query(`SELECT id, s FROM ${db}.buffered ORDER BY id`), [
        { id: 1, s: 'a' },
        { id: 2, s: 'b' },
      ]);
    });

    test('JSON types: 64-bit integers are strings, narrower numbers and bools are JSON values', async () => {
      const [row] = await t.query(
        `SELECT toUInt32(7) AS u32, toInt64(-9007199254740993) AS i64, toUInt64(3) AS u64, 1.5 AS f, true AS b, [1, 2] AS arr`,
      );
      assert.deepEqual(row, { u32: 7, i64: '-9007199254740993', u64: '3', f: 1.5, b: true, arr: [1, 2] });
    });

    test('parameters bind String, UInt64, Array(String) and DateTime64(9) as values', async () => {
      const params = {
        s: 'it\'s "quoted"\\ \n {x:String}',
        u: 18446744073709551615n,
        a: ["o'neil", 'back\\slash', 'line\nbreak', ''],
        t: '2024-05-06 07:08:09.123456789',
      };
      const [row] = await t.query(
        `SELECT {s:String} AS s, {u:UInt64} AS u, {a:Array(String)} AS a, {t:DateTime64(9, 'UTC')} AS t`,
        params,
      );
      assert.deepEqual(row, { s: params.s, u: '18446744073709551615', a: params.a, t: params.t });
    });

    test('an injection attempt in a parameter stays a value', async () => {
      await t.command(`CREATE TABLE ${db}.victim (name String) ENGINE = MergeTree ORDER BY name`);
      await t.command(`INSERT INTO ${db}.victim (name) VALUES ({name:String})`, { name: 'alice' });
      const evil = `alice' OR 1=1; DROP TABLE ${db}.victim; --`;
      assert.deepEqual(await t.query(`SELECT name FROM ${db}.victim WHERE name = {name:String}`, { name: evil }), []);
      await t.command(`INSERT INTO ${db}.victim (name) VALUES ({name:String})`, { name: evil });
      assert.deepEqual(await t.query(`SELECT name FROM ${db}.victim ORDER BY name`), [
        { name: 'alice' },
        { name: evil },
      ]);
    });

    test('with a column list, rows are JSON arrays of those columns; a column that is not a name is refused', async () => {
      await t.command(
        `CREATE TABLE ${db}.arrays (id UInt32, s String, n UInt8 DEFAULT 7) ENGINE = MergeTree ORDER BY id`,
      );
      // null takes the column's default, as an absent member does in an object.
      await t.insertJsonEachRow(`${db}.arrays`, '["a",2,null]\n["b",1,3]', { columns: ['s', 'id', 'n'] });
      assert.deepEqual(await t.query(`SELECT id, s, n FROM ${db}.arrays ORDER BY id`), [
        { id: 1, s: 'b', n: 3 },
        { id: 2, s: 'a', n: 7 },
      ]);
      await assert.rejects(
        t.insertJsonEachRow(`${db}.arrays`, '[1]', { columns: [`id) SELECT 1; DROP DATABASE ${db} --`] }),
        (err) => isStoreError(err),
      );
      assert.deepEqual(await t.query(`SELECT count() AS n FROM ${db}.arrays`), [{ n: '2' }]);
    });

    test("rows read as other types become the table's: small and large batches alike, dedup tokens kept", async () => {
      await t.command(
        `CREATE TABLE ${db}.read_as (id UInt32, tag LowCardinality(String), at DateTime64(9, 'UTC'),
           labels Map(LowCardinality(String), String), days UInt16 DEFAULT 30)
         ENGINE = MergeTree ORDER BY id SETTINGS non_replicated_deduplication_window = 100`,
      );
      const columns = ['id', 'tag', 'at', 'labels', 'days'];
      const readAs = ['UInt32', 'String', "DateTime64(9, 'UTC')", 'Map(String, String)', 'Nullable(UInt16)'];
      const row = (id: number) =>
        JSON.stringify([id, `t${id % 3}`, '2026-12-07T06:00:00.123456789Z', { k: `v'\\${id}` }, id % 2 ? null : 7]);
      // One small batch and one well past 64 KiB, which the in-process transport reads from a file.
      const small = [1, 2].map(row).join('\n');
      const large = Array.from({ length: 3_000 }, (_, i) => row(i + 10)).join('\n');
      assert.ok(Buffer.byteLength(large) > 128 * 1024);
      for (const [rows, token] of [
        [small, 'small'],
        [large, 'large'],
        [large, 'large'],
      ] as const)
        await t.insertJsonEachRow(`${db}.read_as`, Buffer.from(rows), { columns, readAs, dedupToken: token });
      assert.deepEqual(await t.query(`SELECT count() AS n, uniqExact(id) AS ids FROM ${db}.read_as`), [
        { n: '3002', ids: '3002' },
      ]);
      assert.deepEqual(
        await t.query(
          `SELECT id, tag, toTypeName(tag) AS type, toString(at) AS at, labels, days FROM ${db}.read_as WHERE id IN (1, 2, 2999) ORDER BY id`,
        ),
        [
          {
            id: 1,
            tag: 't1',
            type: 'LowCardinality(String)',
            at: '2026-12-07 06:00:00.123456789',
            labels: { k: "v'\\1" },
            days: 30,
          },
          {
            id: 2,
            tag: 't2',
            type: 'LowCardinality(String)',
            at: '2026-12-07 06:00:00.123456789',
            labels: { k: "v'\\2" },
            days: 7,
          },
          {
            id: 2999,
            tag: 't2',
            type: 'LowCardinality(String)',
            at: '2026-12-07 06:00:00.123456789',
            labels: { k: "v'\\2999" },
            days: 30,
          },
        ],
      );
      await assert.rejects(
        t.insertJsonEachRow(`${db}.read_as`, Buffer.from(large), {
          columns,
          readAs: [...readAs.slice(0, 4), `UInt16') SELECT 1; DROP DATABASE ${db} --`],
        }),
        (err) => isStoreError(err),
      );
      assert.deepEqual(await t.query(`SELECT count() AS n FROM ${db}.read_as`), [{ n: '3002' }]);
    });

    test('a repeated insert with the same dedup token is a no-op', async () => {
      await t.command(
        `CREATE TABLE ${db}.dedup (id UInt32) ENGINE = MergeTree ORDER BY id SETTINGS non_replicated_deduplication_window = 100`,
      );
      const rows = '{"id":1}\n{"id":2}\n';
      await t.insertJsonEachRow(`${db}.dedup`, rows, { dedupToken: 'batch-1' });
      await t.insertJsonEachRow(`${db}.dedup`, rows, { dedupToken: 'batch-1' });
      assert.deepEqual(await t.query(`SELECT count() AS n FROM ${db}.dedup`), [{ n: '2' }]);
      await t.insertJsonEachRow(`${db}.dedup`, rows, { dedupToken: 'batch-2' });
      assert.deepEqual(await t.query(`SELECT count() AS n FROM ${db}.dedup`), [{ n: '4' }]);
    });

    test('an insert is visible to the next query (no asynchronous insert buffering)', async () => {
      await t.command(`CREATE TABLE ${db}.visible (id UInt32) ENGINE = MergeTree ORDER BY id`);
      await t.insertJsonEachRow(`${db}.visible`, '{"id":1}');
      await t.command(`INSERT INTO ${db}.visible VALUES (2)`);
      assert.deepEqual(await t.query(`SELECT id FROM ${db}.visible ORDER BY id`), [{ id: 1 }, { id: 2 }]);
    });

    test('a trailing semicolon or comment does not break a query', async () => {
      assert.deepEqual(await t.query('SELECT 1 AS x;'), [{ x: 1 }]);
      assert.deepEqual(await t.query('SELECT 1 AS x -- why'), [{ x: 1 }]);
    });

    test('a query without rows returns an empty array', async () => {
      assert.deepEqual(await t.query(`SELECT 1 AS x WHERE 0`), []);
    });

    test('a syntax error is a non-transient StoreError with its ClickHouse code', async () => {
      await assert.rejects(t.query('SELEC 1'), (err) => isStoreError(err, 62));
      await assert.rejects(t.command('CREAT TABLE x'), (err) => isStoreError(err, 62));
    });

    test('an error part-way through a query rejects instead of returning the rows before it', async () => {
      const sql = 'SELECT number, throwIf(number = 150000) AS x FROM numbers(200000) SETTINGS max_block_size = 1000';
      await assert.rejects(t.query(sql), (err) => isStoreError(err, 395));
    });

    test('queries after one that failed part-way each get their own answer', async () => {
      const failing = (n: number) =>
        t.query(
          'SELECT number, throwIf(number = {n:UInt64}) AS x FROM numbers(200000) SETTINGS max_block_size = 1000',
          {
            n,
          },
        );
      // Failures and queries interleaved, more of them than there are connections or sessions.
      const asked = Array.from({ length: 8 }, (_, i) =>
        i % 2 ? t.query(`SELECT {i:UInt8} AS i, count() AS n FROM numbers(3)`, { i }) : failing(100_000 + i),
      );
      const answers = await Promise.allSettled(asked);
      answers.forEach((answer, i) => {
        if (i % 2 === 0) assert.equal(answer.status, 'rejected', `query ${i} should fail`);
        else assert.deepEqual(answer.status === 'fulfilled' && answer.value, [{ i, n: '3' }], `query ${i}`);
      });
      for (let i = 0; i < 4; i++) assert.deepEqual(await t.query(`SELECT ${i} AS i`), [{ i }]);
    });

    test('an insert of no rows succeeds and adds nothing', async () => {
      await t.command(`CREATE TABLE ${db}.empty (id UInt32) ENGINE = MergeTree ORDER BY id`);
      await t.insertJsonEachRow(`${db}.empty`, '');
      assert.deepEqual(await t.query(`SELECT count() AS n FROM ${db}.empty`), [{ n: '0' }]);
    });

    test('an unknown table is a non-transient StoreError with code 60', async () => {
      await assert.rejects(t.query(`SELECT * FROM ${db}.missing`), (err) => isStoreError(err, 60));
      await assert.rejects(t.insertJsonEachRow(`${db}.missing`, '{"id":1}'), (err) => isStoreError(err, 60));
    });

    test('malformed rows are a non-transient StoreError and insert nothing', async () => {
      await t.command(`CREATE TABLE ${db}.strict (id UInt32) ENGINE = MergeTree ORDER BY id`);
      await assert.rejects(t.insertJsonEachRow(`${db}.strict`, '{"id":1}\n{"id":'), (err) => isStoreError(err));
      assert.deepEqual(await t.query(`SELECT count() AS n FROM ${db}.strict`), [{ n: '0' }]);
    });

    test('an invalid table name is refused before it reaches SQL', async () => {
      await assert.rejects(t.insertJsonEachRow(`${db}.x; DROP DATABASE ${db}`, '{"id":1}'), (err) => isStoreError(err));
      await t.ping();
      assert.deepEqual(await t.query(`SELECT count() AS n FROM system.databases WHERE name = {db:String}`, { db }), [
        { n: '1' },
      ]);
    });
  });
}

/** Asserts a permanent StoreError, optionally with a given ClickHouse code; true for assert.rejects. */
export function isStoreError(err: unknown, code?: number): true {
  assert.ok(err instanceof StoreError, `expected StoreError, got ${String(err)}`);
  assert.equal(err.transient, false, err.message);
  if (code !== undefined) assert.equal(err.clickhouseCode, code, err.message);
  return true;
}

/** Test support: a chdb transport on a fresh temporary directory, removed on close. */
export async function openChdbForTest(prefix: string): Promise<OpenedTransport> {
  const path = await mkdtemp(join(tmpdir(), prefix));
  const transport = createChdbTransport({ path });
  return {
    transport,
    async close() {
      await transport.close();
      await rm(path, { recursive: true, force: true });
    },
  };
}

/** Test support: an HTTP transport to a fresh ClickHouse server process (libchdb's own HTTP handler), stopped on close. */
export async function openHttpForTest(): Promise<OpenedTransport> {
  const server = await startClickHouseServer();
  const transport = createHttpTransport({ url: server.url });
  return {
    transport,
    async close() {
      await transport.close(); // first: idle keep-alive sockets would hold up the server's shutdown
      await server.stop();
    },
  };
}

/** A cluster of `shards` ClickHouse servers; the store talks to the first and lays its tables out over all. */
export async function openClusterForTest(shards = 2): Promise<OpenedTransport> {
  const cluster = await startClickHouseCluster({ shards });
  const nodes = cluster.servers.map((s) => createHttpTransport({ url: s.url }));
  return {
    transport: nodes[0]!,
    storeOptions: { cluster: { name: cluster.name, nodes } },
    async close() {
      await Promise.all(nodes.map((n) => n.close()));
      await cluster.stop();
    },
  };
}
