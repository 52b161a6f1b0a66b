import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { parseQuery } from '@instant-logs/query-language';
import { queuedLine, type LogRecord } from '@instant-logs/schema';
import { createLogStore, type LogFilter, type LogStore } from './log-store.ts';
import type { OpenedTransport } from './transport-contract.ts';

// Hour-aligned and recent: a fixed date would age past the table's TTL, and merges would then drop the data mid-test.
const T0 = Math.floor(Date.now() / 3_600_000) * 3_600_000 - 2 * 3_600_000;
const ns = (ms: number, extra = 0) => BigInt(ms) * 1_000_000n + BigInt(extra);
const iso = (ms: number, extraNs = 0) =>
  `${new Date(ms).toISOString().slice(0, 19)}.${String((ms % 1000) * 1_000_000 + extraNs).padStart(9, '0')}Z`;

function record(i: number, over: Partial<LogRecord> = {}): LogRecord {
  return {
    id: `r${String(i).padStart(3, '0')}`,
    tenant: 'acme',
    timestamp: iso(T0 + i * 1000, 123),
    observed_timestamp: iso(T0 + i * 1000 + 5),
    service: i % 2 === 0 ? 'api' : 'worker',
    level: i % 5 === 0 ? 'error' : 'info',
    severity_text: i % 5 === 0 ? 'ERROR' : 'INFO',
    severity_number: i % 5 === 0 ? 17 : 9,
    body: i % 5 === 0 ? `request ${i} failed: upstream timeout` : `request ${i} ok`,
    attributes: { 'http.status_code': i % 5 === 0 ? '500' : '200', 'user.id': `u${i % 3}` },
    resource: { 'host.name': `host-${i % 2}` },
    trace_id: i === 7 ? '5b8efff798038103d269b633813fc60c' : '',
    span_id: i === 7 ? 'eee19b7ec3c1b174' : '',
    ...over,
  };
}

const lines = (records: LogRecord[]) => records.map((r) => queuedLine(r)).join('\n');

/** Registers the log store's behaviour tests against a transport; both transports must pass them all. */
export function describeLogStoreContract(name: string, open: () => Promise<OpenedTransport>): void {
  describe(`log store over ${name}`, () => {
    let opened: OpenedTransport;
    let store: LogStore;
    const records = Array.from({ length: 20 }, (_, i) => record(i));
    const filter = (over: Partial<LogFilter> = {}): LogFilter => ({
      tenant: 'acme',
      fromNs: ns(T0),
      toNs: ns(T0 + 3_600_000),
      services: [],
      levels: [],
      query: null,
      ...over,
    });

    before(async () => {
      opened = await open();
      store = createLogStore(opened.transport, `contract_${process.pid}`, opened.storeOptions);
      assert.deepEqual((await store.migrate()).applied, [1, 2, 3, 4, 5, 6, 7]);
      await store.insert(lines(records));
      await store.insert(
        lines([record(0, { id: 'other-tenant', tenant: 'globex', body: 'request 0 failed: upstream timeout' })]),
      );
    });
    after(() => opened.close());

    test('the default retention applies to records written after it changes', async () => {
      await store.setDefaultRetention(7);
      await store.insert(lines([record(300, { id: 'ret-1', tenant: 'retention' })]));
      const rows = await opened.transport.query<{ d: number }>(
        `SELECT retention_days AS d FROM contract_${process.pid}.logs WHERE id = 'ret-1'`,
      );
      assert.equal(Number(rows[0]?.d), 7);
      await store.setDefaultRetention(30);
      await assert.rejects(store.setDefaultRetention(0), /Invalid retention/);
    });

    test('lines queued as objects by earlier versions are stored beside array lines, retention included', async () => {
      const old = record(310, { id: 'form-object', tenant: 'forms' });
      const now = record(311, { id: 'form-array', tenant: 'forms' });
      await store.insert(
        [
          JSON.stringify({ ...old, retention_days: 9 }),
          queuedLine(now, 11),
          JSON.stringify({ ...old, id: 'form-bare' }),
        ].join('\n'),
      );
      const rows = await opened.transport.query<{ id: string; d: number }>(
        `SELECT id, retention_days AS d FROM contract_${process.pid}.logs WHERE tenant = 'forms' ORDER BY id`,
      );
      assert.deepEqual(
        rows.map((r) => [r.id, Number(r.d)]),
        [
          ['form-array', 11],
          ['form-bare', 30],
          ['form-object', 9],
        ],
      );
      const page = await store.search(filter({ tenant: 'forms', fromNs: ns(T0), toNs: ns(T0 + 400_000) }), {
        limit: 5,
      });
      // Newest first, then by id descending within one timestamp.
      assert.deepEqual(page.records, [now, old, { ...old, id: 'form-bare' }]);
    });

    test('the table that holds the records merges with a base of 10 where the server has the setting', async () => {
      const known = await opened.transport.query<{ n: string }>(
        `SELECT count() AS n FROM system.merge_tree_settings WHERE name = 'merge_selector_base'`,
      );
      // A cluster's records are in each node's logs_local, a server's in logs itself.
      const tables = await opened.transport.query<{ name: string; engine_full: string }>(
        `SELECT name, engine_full FROM system.tables WHERE database = {db:String} AND name IN ('logs', 'logs_local') AND engine LIKE '%MergeTree'`,
        { db: `contract_${process.pid}` },
      );
      assert.equal(tables.length, 1);
      if (Number(known[0]?.n) > 0) assert.match(tables[0]!.engine_full, /merge_selector_base = 10\b/);
      else assert.doesNotMatch(tables[0]!.engine_full, /merge_selector_base/);
    });

    test('records, their per-minute counts and the idempotency keys are on disk when an insert returns', async () => {
      const tables = await opened.transport.query<{ name: string; engine_full: string }>(
        `SELECT name, engine_full FROM system.tables WHERE database = {db:String} AND engine LIKE '%MergeTree'
           AND name IN ('logs', 'logs_local', 'logs_per_minute', 'logs_per_minute_local', 'idempotency_keys', 'idempotency_keys_local')
         ORDER BY name`,
        { db: `contract_${process.pid}` },
      );
      assert.equal(tables.length, 3, JSON.stringify(tables.map((t) => t.name)));
      for (const t of tables) assert.match(t.engine_full, /fsync_after_insert = 1, fsync_part_directory = 1\b/, t.name);
    });

    test('migrating again applies nothing', async () => {
      assert.deepEqual((await store.migrate()).applied, []);
    });

    test('records come back exactly as written, nanoseconds and maps included', async () => {
      const page = await store.search(filter({ query: parseQuery('trace_id:5b8efff798038103d269b633813fc60c') }), {
        limit: 10,
      });
      assert.deepEqual(page.records, [records[7]]);
    });

    test('search filters by service, level and query, newest first', async () => {
      const page = await store.search(filter({ services: ['api'], levels: ['error'], query: parseQuery('timeout') }), {
        limit: 10,
      });
      assert.deepEqual(
        page.records.map((r) => r.id),
        ['r010', 'r000'],
      );
    });

    test('sampleMessages counts every match of the tenant and returns the newest few, newest first', async () => {
      const sample = await store.sampleMessages(filter({ query: parseQuery('failed') }), 3);
      assert.equal(sample.total, 4);
      assert.deepEqual(
        sample.messages.map((m) => [m.ms, m.level, m.body]),
        [15, 10, 5].map((i) => [T0 + i * 1000, 'error', `request ${i} failed: upstream timeout`]),
      );
      const selected = await store.search(
        filter({ query: parseQuery('pattern:"request <NUM> failed: upstream timeout"') }),
        {
          limit: 100,
        },
      );
      assert.deepEqual(
        selected.records.map((r) => r.id),
        ['r015', 'r010', 'r005', 'r000'],
      );
      assert.deepEqual(await store.sampleMessages(filter({ tenant: 'nobody' }), 3), { total: 0, messages: [] });
    });

    test('time bounds are inclusive to the nanosecond', async () => {
      const page = await store.search(filter({ fromNs: ns(T0 + 3000, 123), toNs: ns(T0 + 4000, 123) }), { limit: 10 });
      assert.deepEqual(
        page.records.map((r) => r.id),
        ['r004', 'r003'],
      );
    });

    test('cursor pages cover every record once', async () => {
      const seen: string[] = [];
      let cursor: string | undefined;
      do {
        const page = await store.search(filter(), { limit: 7, cursor });
        seen.push(...page.records.map((r) => r.id));
        cursor = page.nextCursor ?? undefined;
      } while (cursor);
      assert.deepEqual(seen, records.map((r) => r.id).reverse());
    });

    test('another tenant is invisible to search, histogram, facets and tail', async () => {
      const other = filter({ tenant: 'globex' });
      assert.deepEqual(
        (await store.search(other, { limit: 100 })).records.map((r) => r.id),
        ['other-tenant'],
      );
      const h = await store.histogram(other, 10);
      assert.equal(
        h.buckets.reduce((n, b) => n + Object.values(b.counts).reduce((a, c) => a + c, 0), 0),
        1,
      );
      assert.deepEqual(await store.facet(other, { kind: 'service' }, 10), [{ value: 'api', count: 1 }]);
      assert.equal(await store.count('acme'), 20);
    });

    test('histogram counts per bucket and level', async () => {
      const h = await store.histogram(filter({ toNs: ns(T0 + 19_999) }), 2);
      assert.equal(h.interval_ms, 10_000);
      assert.deepEqual(
        h.buckets.map((b) => [b.counts['info'], b.counts['error']]),
        [
          [8, 2],
          [8, 2],
        ],
      );
    });

    test('facets rank attribute values by count', async () => {
      assert.deepEqual(await store.facet(filter(), { kind: 'attribute', key: 'http.status_code' }, 5), [
        { value: '200', count: 16 },
        { value: '500', count: 4 },
      ]);
      assert.deepEqual(await store.facet(filter(), { kind: 'attribute', key: 'host.name' }, 1), [
        { value: 'host-0', count: 10 },
      ]);
    });

    test('a repeated insert with the same dedup token stores the rows once', async () => {
      const extra = [record(100, { id: 'dedup-1', tenant: 'dedup' }), record(101, { id: 'dedup-2', tenant: 'dedup' })];
      await store.insert(lines(extra), { dedupToken: 'batch-42' });
      await store.insert(lines(extra), { dedupToken: 'batch-42' });
      assert.equal(await store.count('dedup'), 2);
    });

    test("delete removes only the matching records of its tenant, never another tenant's", async () => {
      const doomed = (i: number, tenant: string, body: string) =>
        record(400 + i, { id: `del-${tenant}-${i}`, tenant, body });
      await store.insert(
        lines([
          doomed(0, 'purge', 'secret leaked'),
          doomed(1, 'purge', 'secret leaked again'),
          doomed(2, 'purge', 'kept'),
        ]),
      );
      await store.insert(lines([doomed(0, 'bystander', 'secret leaked')]));
      const wide = { fromNs: 0n, toNs: 9_223_372_036_854_775_807n };
      assert.deepEqual(await store.deleteLogs(filter({ tenant: 'purge', ...wide, query: parseQuery('secret') })), {
        deleted: 2,
      });
      assert.deepEqual(
        (await store.search(filter({ tenant: 'purge', ...wide }), { limit: 10 })).records.map((r) => r.id),
        ['del-purge-2'],
      );
      assert.deepEqual(
        (await store.search(filter({ tenant: 'bystander', ...wide }), { limit: 10 })).records.map((r) => r.id),
        ['del-bystander-0'],
      );
      assert.deepEqual(await store.deleteLogs(filter({ tenant: 'purge', ...wide, query: parseQuery('secret') })), {
        deleted: 0,
      });
    });

    test('usage sums records, text bytes and time span per service of a tenant', async () => {
      const a = record(500, {
        id: 'use-1',
        tenant: 'usage',
        service: 'api',
        body: 'abcd',
        attributes: { k: 'vv' },
        resource: {},
      });
      const b = record(502, {
        id: 'use-2',
        tenant: 'usage',
        service: 'api',
        body: 'é',
        attributes: {},
        resource: { h: 'x' },
      });
      const c = record(501, { id: 'use-3', tenant: 'usage', service: 'db', body: 'z', attributes: {}, resource: {} });
      await store.insert(lines([a, b, c, record(503, { id: 'use-other', tenant: 'not-usage', service: 'api' })]));
      assert.deepEqual(await store.usage('usage'), [
        { service: 'api', records: 2, bytes: 4 + 3 + 2 + 2, oldest: a.timestamp, newest: b.timestamp },
        { service: 'db', records: 1, bytes: 1, oldest: c.timestamp, newest: c.timestamp },
      ]);
    });

    test('tail returns what was stored after its position, once', async () => {
      const start = await store.tailStart();
      const tailFilter = filter({
        tenant: 'tail',
        fromNs: 0n,
        toNs: 9_223_372_036_854_775_807n,
        query: parseQuery('fresh'),
      });
      assert.deepEqual((await store.tail(tailFilter, start, 100)).records, []);
      await store.insert(
        lines([
          record(200, { id: 'tail-1', tenant: 'tail', body: 'fresh record' }),
          record(201, { id: 'tail-2', tenant: 'tail', body: 'stale record' }),
        ]),
      );
      const first = await store.tail(tailFilter, start, 100);
      assert.deepEqual(
        first.records.map((r) => r.record.id),
        ['tail-1'],
      );
      assert.deepEqual((await store.tail(tailFilter, first.position, 100)).records, []);
    });

    test('tailAny reads a tenant once for many filters and says which filters each record matches', async () => {
      const start = await store.tailStart();
      const tailOf = (q: string, over: Partial<LogFilter> = {}) =>
        filter({
          tenant: 'ignored',
          fromNs: 0n,
          toNs: 9_223_372_036_854_775_807n,
          query: q ? parseQuery(q) : null,
          ...over,
        });
      const filters = [
        tailOf('fresh'),
        tailOf('', { services: ['worker'] }),
        tailOf('http.status_code:>=500 OR "never said"'),
      ];
      await store.insert(
        lines([
          record(300, {
            id: 'any-1',
            tenant: 'any',
            body: 'fresh record',
            service: 'api',
            attributes: { 'http.status_code': '503' },
          }),
          record(301, { id: 'any-2', tenant: 'any', body: 'stale record', service: 'worker', attributes: {} }),
          record(302, { id: 'any-3', tenant: 'any', body: 'stale record', service: 'api', attributes: {} }),
          record(303, { id: 'any-4', tenant: 'other', body: 'fresh record', service: 'worker', attributes: {} }),
        ]),
      );
      const read = await store.tailAny('any', filters, start, 100);
      assert.deepEqual(
        read.records.map((r) => [r.record.id, r.matches]),
        [
          ['any-1', [0, 2]],
          ['any-2', [1]],
        ],
      );
      // Each filter's share is exactly what tail gives for it alone.
      for (const [i, f] of filters.entries()) {
        const alone = await store.tail({ ...f, tenant: 'any' }, start, 100);
        assert.deepEqual(
          read.records.filter((r) => r.matches.includes(i)).map((r) => r.position),
          alone.records.map((r) => r.position),
        );
      }
      assert.deepEqual((await store.tailAny('any', filters, read.position, 100)).records, []);
      assert.deepEqual(await store.tailAny('any', [], start, 100), { records: [], position: start });
    });
  });
}
