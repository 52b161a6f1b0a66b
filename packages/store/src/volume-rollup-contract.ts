import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { parseQuery } from '@instant-logs/query-language';
import type { Histogram } from '@instant-logs/schema';
import { createLogStore, type LogFilter, type LogStore } from './log-store.ts';
import { migrate, ROLLUP_TABLE } from './migrations.ts';
import type { OpenedTransport } from './transport-contract.ts';

const MINUTE = 60_000;
// Hour-aligned and recent, so the TTLs keep everything for the test's life.
const T0 = Math.floor(Date.now() / 3_600_000) * 3_600_000 - 4 * 3_600_000;
const ns = (ms: number, extra = 0) => BigInt(ms) * 1_000_000n + BigInt(extra);
const iso = (ms: number, extraNs = 0) =>
  `${new Date(ms).toISOString().slice(0, 19)}.${String((ms % 1000) * 1_000_000 + extraNs).padStart(9, '0')}Z`;
const LEVELS = ['debug', 'info', 'warn', 'error'] as const;

interface Written {
  tenant: string;
  ns: bigint;
  service: string;
  level: string;
}

// Every 7.3 s over three hours, plus records on the first and last nanosecond of some minutes,
// so a range's edges cut minutes anywhere, including exactly on their bounds.
function generate(tenant: string, retentionDays = 30): { rows: string; written: Written[] } {
  const written: Written[] = [];
  const lines: string[] = [];
  const add = (ms: number, extraNs: number, i: number) => {
    const service = ['api', 'worker', 'web'][i % 3]!;
    const level = LEVELS[(i * 7) % 4]!;
    written.push({ tenant, ns: ns(ms, extraNs), service, level });
    lines.push(
      JSON.stringify({
        id: `${tenant}-${i}`,
        tenant,
        timestamp: iso(ms, extraNs),
        observed_timestamp: iso(ms),
        service,
        level,
        severity_text: level.toUpperCase(),
        severity_number: 9,
        body: `request ${i}`,
        attributes: { n: String(i) },
        resource: {},
        trace_id: '',
        span_id: '',
        retention_days: retentionDays,
      }),
    );
  };
  let i = 0;
  for (let ms = T0; ms < T0 + 3 * 3_600_000; ms += 7_300) add(ms, (i * 7919) % 1_000_000, i++);
  for (let m = 0; m < 180; m += 13) {
    add(T0 + m * MINUTE, 0, i++);
    add(T0 + (m + 1) * MINUTE - 1, 999_999, i++);
  }
  return { rows: lines.join('\n'), written };
}

const total = (h: Histogram) => h.buckets.reduce((n, b) => n + Object.values(b.counts).reduce((a, c) => a + c, 0), 0);
const expected = (written: Written[], f: LogFilter) =>
  written.filter(
    (w) =>
      w.tenant === f.tenant &&
      w.ns >= f.fromNs &&
      w.ns <= f.toNs &&
      (f.services.length === 0 || f.services.includes(w.service)) &&
      (f.levels.length === 0 || f.levels.includes(w.level)),
  ).length;

/** Registers the rollup's tests (histogram paths, deletes, upgrade from version 1) against a transport. */
export function describeVolumeRollupContract(name: string, open: () => Promise<OpenedTransport>): void {
  const filter = (tenant: string, over: Partial<LogFilter> = {}): LogFilter => ({
    tenant,
    fromNs: ns(T0),
    toNs: ns(T0 + 3 * 3_600_000) - 1n,
    services: [],
    levels: [],
    query: null,
    ...over,
  });
  // Ranges whose edges fall mid-minute, on a minute's first or last nanosecond, or inside one minute.
  const ranges: [number, number, number, number][] = [
    [T0 + 37_500, 123, T0 + 2 * 3_600_000 + 13_250, 7],
    [T0, 0, T0 + 3 * 3_600_000 - 1, 999_999],
    [T0 + 13 * MINUTE, 0, T0 + 27 * MINUTE, 0],
    [T0 + 14 * MINUTE - 1, 999_999, T0 + 66 * MINUTE - 1, 999_998],
    [T0 + 5 * MINUTE + 10, 0, T0 + 5 * MINUTE + 50_000, 0],
  ];
  const cases = ranges.flatMap(([f, fx, t, tx]) => [
    { fromNs: ns(f, fx), toNs: ns(t, tx) },
    { fromNs: ns(f, fx), toNs: ns(t, tx), services: ['api', 'web'] },
    { fromNs: ns(f, fx), toNs: ns(t, tx), levels: ['error'], services: ['worker'] },
  ]);

  describe(`volume rollup over ${name}`, () => {
    let opened: OpenedTransport;
    let store: LogStore;
    const db = `rollup_${process.pid}`;
    const written: Written[] = [];
    // Adds `n` to the rollup's count of one minute, which only a histogram reading the rollup sees.
    const bump = (tenant: string, minuteMs: number, n: number) =>
      opened.transport.command(
        `INSERT INTO ${db}.${ROLLUP_TABLE} (tenant, minute, service, level, retention_days, records) SETTINGS insert_deduplicate = 0
       VALUES ({t:String}, toDateTime({s:UInt32}, 'UTC'), 'api', 'info', 30, {n:UInt64})`,
        { t: tenant, s: minuteMs / 1000, n },
      );

    before(async () => {
      opened = await open();
      store = createLogStore(opened.transport, db);
      await store.migrate();
      for (const tenant of ['acme', 'probe', 'purge']) {
        const g = generate(tenant);
        written.push(...g.written);
        await store.insert(g.rows);
      }
    });
    after(async () => {
      await opened.transport.command(`DROP DATABASE IF EXISTS ${db}`);
      await opened.close();
    });

    test('histograms from the rollup equal those from the logs and the records written, edge minutes included', async () => {
      for (const c of cases) {
        for (const buckets of [1, 10, 120]) {
          const f = filter('acme', c);
          const fromRollup = await store.histogram(f, buckets);
          const named = JSON.stringify({ ...c, buckets }, (_, v) => (typeof v === 'bigint' ? String(v) : v));
          assert.deepEqual(fromRollup, await store.histogram(f, buckets, { source: 'logs' }), named);
          assert.equal(total(fromRollup), expected(written, f));
        }
      }
      assert.ok(total(await store.histogram(filter('acme'), 10)) > 1000);
    });

    test('the rollup answers whole minutes, the logs the partly covered edge minutes', async () => {
      const f = filter('probe', { fromNs: ns(T0 + 30_000), toNs: ns(T0 + 60 * MINUTE + 30_000) });
      const before = total(await store.histogram(f, 10));
      await bump('probe', T0 + 10 * MINUTE, 1000);
      assert.equal(total(await store.histogram(f, 10)), before + 1000);
      await bump('probe', T0, 500);
      await bump('probe', T0 + 60 * MINUTE, 500);
      assert.equal(total(await store.histogram(f, 10)), before + 1000, 'edge minutes are counted from the logs');
      assert.equal(total(await store.histogram(f, 10, { source: 'logs' })), before);
    });

    test('a query, or buckets narrower than a minute, read the logs', async () => {
      const f = filter('probe', { fromNs: ns(T0 + 20 * MINUTE), toNs: ns(T0 + 40 * MINUTE) - 1n });
      await bump('probe', T0 + 30 * MINUTE, 1000);
      assert.equal(total(await store.histogram(f, 10)), expected(written, f) + 1000);
      assert.equal(total(await store.histogram({ ...f, query: parseQuery('request') }, 10)), expected(written, f));
      const narrow = await store.histogram(f, 100);
      assert.equal(narrow.interval_ms, 30_000);
      assert.equal(total(narrow), expected(written, f));
    });

    test('a retried insert with the same dedup token is counted once by the rollup', async () => {
      const g = generate('dedup');
      await store.insert(g.rows, { dedupToken: 'rollup-batch-1' });
      await store.insert(g.rows, { dedupToken: 'rollup-batch-1' });
      const f = filter('dedup');
      assert.equal(total(await store.histogram(f, 10)), g.written.length);
      assert.deepEqual(await store.histogram(f, 10), await store.histogram(f, 10, { source: 'logs' }));
    });

    test('after a delete, histograms over the deleted range read the logs; other ranges and tenants keep the rollup', async () => {
      const deleted = { fromNs: ns(T0 + 60 * MINUTE), toNs: ns(T0 + 120 * MINUTE) };
      const f = filter('purge');
      const { deleted: n } = await store.deleteLogs({ ...f, ...deleted, query: parseQuery('service:api') });
      assert.ok(n > 100);
      for (const c of cases) {
        const g = filter('purge', c);
        assert.deepEqual(await store.histogram(g, 10), await store.histogram(g, 10, { source: 'logs' }));
      }
      assert.equal(total(await store.histogram(f, 10)), expected(written, f) - n);
      await bump('purge', T0 + 150 * MINUTE, 1000);
      const later = filter('purge', { fromNs: ns(T0 + 121 * MINUTE) });
      assert.equal(total(await store.histogram(later, 10)), expected(written, later) + 1000);
      await bump('acme', T0 + 90 * MINUTE, 1000);
      const other = filter('acme', deleted);
      assert.equal(total(await store.histogram(other, 10)), expected(written, other) + 1000);
    });

    test('rollup rows outlive their records by at most a minute, per retention class', async () => {
      const DAY = 86_400_000;
      const old = (tenant: string, days: number) =>
        Array.from({ length: 3 }, (_, i) =>
          JSON.stringify({
            id: `${tenant}-${i}`,
            tenant,
            timestamp: new Date(Date.now() - 3 * DAY + i * 1000).toISOString(),
            service: 'api',
            level: 'info',
            retention_days: days,
          }),
        ).join('\n');
      await store.insert(old('short', 1));
      await store.insert(old('long', 30));
      await opened.transport.command(`OPTIMIZE TABLE ${db}.${ROLLUP_TABLE} FINAL`);
      const rows = await opened.transport.query<{ tenant: string; n: string }>(
        `SELECT tenant, sum(records) AS n FROM ${db}.${ROLLUP_TABLE} WHERE tenant IN ('short', 'long') GROUP BY tenant`,
      );
      assert.deepEqual(
        rows.map((r) => [r.tenant, Number(r.n)]),
        [['long', 3]],
      );
    });
  });

  describe(`upgrading a version 1 database over ${name}`, () => {
    let opened: OpenedTransport;
    let store: LogStore;
    const db = `upgrade_${process.pid}`;
    const written: Written[] = [];
    const rollupTotal = async () =>
      Number(
        (await opened.transport.query<{ n: string }>(`SELECT sum(records) AS n FROM ${db}.${ROLLUP_TABLE}`))[0]?.n,
      );

    before(async () => {
      opened = await open();
      store = createLogStore(opened.transport, db);
      assert.deepEqual((await migrate(opened.transport, db, 1)).applied, [1]);
      for (const [tenant, days] of [
        ['acme', 30],
        ['globex', 7],
      ] as const) {
        const g = generate(tenant, days);
        written.push(...g.written);
        await store.insert(g.rows);
      }
      // And a day of its own two days back, so the backfill spans several day partitions.
      const older = Array.from({ length: 50 }, (_, i) => T0 - 2 * 86_400_000 + i * 61_000);
      written.push(...older.map((ms) => ({ tenant: 'acme', ns: ns(ms), service: 'api', level: 'info' })));
      await store.insert(
        older
          .map((ms, i) =>
            JSON.stringify({ id: `older-${i}`, tenant: 'acme', timestamp: iso(ms), service: 'api', level: 'info' }),
          )
          .join('\n'),
      );
    });
    after(async () => {
      await opened.transport.command(`DROP DATABASE IF EXISTS ${db}`);
      await opened.close();
    });

    test('a version 1 database has the logs table and no rollup', async () => {
      const tables = await opened.transport.query<{ name: string }>(
        `SELECT name FROM system.tables WHERE database = {db:String} ORDER BY name`,
        { db },
      );
      assert.deepEqual(
        tables.map((t) => t.name),
        ['logs', 'schema_migrations'],
      );
    });

    test('migrating applies version 2 and backfills the rollup from the stored records', async () => {
      assert.deepEqual((await migrate(opened.transport, db, 2)).applied, [2]);
      assert.equal(await rollupTotal(), written.length);
      for (const tenant of ['acme', 'globex']) {
        for (const c of cases) {
          const f = filter(tenant, c);
          assert.deepEqual(await store.histogram(f, 10), await store.histogram(f, 10, { source: 'logs' }));
          assert.equal(total(await store.histogram(f, 10)), expected(written, f));
        }
      }
    });

    test('records written after the upgrade are counted once, by the view', async () => {
      const g = generate('initech');
      written.push(...g.written);
      await store.insert(g.rows);
      assert.equal(await rollupTotal(), written.length);
      const backfilled = await opened.transport.query<{ n: string }>(
        `SELECT sum(records) AS n FROM ${db}.${ROLLUP_TABLE} WHERE tenant = 'initech' AND backfilled = 1`,
      );
      assert.equal(Number(backfilled[0]?.n ?? 0), 0);
    });

    test('a backfill stopped after counting days it had not recorded as done runs again without counting twice', async () => {
      const days = await opened.transport.query<{ day: string }>(
        `SELECT day FROM ${db}.${ROLLUP_TABLE}_backfilled_days`,
      );
      assert.ok(days.length >= 2);
      // The state a stop inside the backfill leaves: days counted, neither they nor the version recorded.
      await opened.transport.command(
        `ALTER TABLE ${db}.${ROLLUP_TABLE}_backfilled_days DELETE WHERE 1 SETTINGS mutations_sync = 2`,
      );
      await opened.transport.command(
        `ALTER TABLE ${db}.schema_migrations DELETE WHERE version = 2 SETTINGS mutations_sync = 2`,
      );
      assert.deepEqual((await migrate(opened.transport, db, 2)).applied, [2]);
      assert.equal(await rollupTotal(), written.length);
      const f = filter('initech');
      assert.deepEqual(await store.histogram(f, 10), await store.histogram(f, 10, { source: 'logs' }));
      assert.deepEqual((await migrate(opened.transport, db, 2)).applied, []);
    });
  });
}
