import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import fc from 'fast-check';
import { parseQuery } from '@instant-logs/query-language';
import type { LogRecord } from '@instant-logs/schema';
import { encodeCursor } from './cursor.ts';
import { createLogStore, type LogFilter, type LogStore } from './log-store.ts';
import type { OpenedTransport } from './transport-contract.ts';
import type { ClickHouseTransport, SqlParams } from './transport.ts';

// Recent and hour-aligned, as in log-store-contract.ts: the table's TTL must not drop the data mid-test.
const T0 = BigInt(Math.floor(Date.now() / 3_600_000) * 3_600_000 - 2 * 3_600_000) * 1_000_000n;
const MS = 1_000_000n;
const QUERIES = [null, 'alpha', 'beta', '-alpha', 'alpha OR gamma', 'service:api'];

// Few distinct times (10 ms steps, 0 or 1 ns past) so many records tie on timestamp and windows
// often end between or on equal times; ids are short, so ties are broken by close ids.
const offset = fc
  .tuple(fc.integer({ min: 0, max: 20 }), fc.constantFrom(0n, 1n))
  .map(([step, ns]) => BigInt(step) * 10n * MS + ns);
const generated = fc.record({
  id: fc.stringMatching(/^[a-d]{1,3}$/),
  offset,
  service: fc.constantFrom('api', 'db'),
  level: fc.constantFrom('info', 'error'),
  body: fc.subarray(['alpha', 'beta', 'gamma'], { minLength: 1 }).map((w) => w.join(' ')),
});
const records = fc.uniqueArray(generated, { selector: (g) => g.id, minLength: 5, maxLength: 40 });
const search = fc.record({
  from: offset,
  // Mostly forwards, sometimes an empty range (to before from).
  length: fc.integer({ min: -20, max: 400 }).map((ms) => BigInt(ms) * MS),
  services: fc.subarray(['api', 'db']),
  levels: fc.subarray(['info', 'error']),
  query: fc.constantFrom(...QUERIES),
  limit: fc.integer({ min: 1, max: 8 }),
  // A made-up cursor, often on a record's exact time, or none.
  cursor: fc.option(fc.tuple(offset, fc.stringMatching(/^[a-d]{0,3}$/))),
});
// Window widths of whole 10 ms steps, give or take a nanosecond, from a `now` on a record's time:
// window edges then fall exactly on, just before or just after records' timestamps.
const windows = fc.record({
  firstNs: fc
    .tuple(fc.integer({ min: 1, max: 8 }), fc.constantFrom(-1n, 0n, 1n))
    .map(([steps, ns]) => BigInt(steps) * 10n * MS + ns),
  growth: fc.integer({ min: 1, max: 3 }),
  maxWindows: fc.integer({ min: 1, max: 8 }),
  now: offset,
});

interface Generated {
  id: string;
  offset: bigint;
  service: string;
  level: string;
  body: string;
}

function toRecord(tenant: string, g: Generated): LogRecord {
  const ts = T0 + g.offset;
  const fraction = String(ts % 1_000_000_000n).padStart(9, '0');
  const iso = `${new Date(Number(ts / MS)).toISOString().slice(0, 19)}.${fraction}Z`;
  return {
    id: g.id,
    tenant,
    timestamp: iso,
    observed_timestamp: iso,
    service: g.service,
    level: g.level as LogRecord['level'],
    severity_text: g.level.toUpperCase(),
    severity_number: g.level === 'error' ? 17 : 9,
    body: g.body,
    attributes: {},
    resource: {},
    trace_id: '',
    span_id: '',
  };
}

const PAGED = {
  rows: ['a', 'b', 'c', 'd', 'aa', 'ab', 'ac', 'ad', 'ba', 'bb', 'bc', 'bd'].map((id, i) => ({
    id,
    offset: BigInt(i % 6) * 10n * MS + BigInt(i % 2),
    service: i % 3 === 0 ? ('db' as const) : ('api' as const),
    level: i % 4 === 0 ? ('error' as const) : ('info' as const),
    body: i % 2 === 0 ? 'alpha' : 'alpha beta',
  })),
  search: {
    from: 0n,
    length: 400n * MS,
    services: [] as string[],
    levels: [] as string[],
    query: null,
    limit: 2,
    cursor: null,
  },
  windows: { firstNs: 20n * MS, growth: 2, maxWindows: 4, now: 30n * MS },
};

/** Registers the property that windowed search answers exactly as one query over the whole range. */
export function describeWindowedSearchContract(name: string, open: () => Promise<OpenedTransport>): void {
  describe(`windowed search over ${name}`, () => {
    let opened: OpenedTransport;
    let reference: LogStore;
    const database = `windows_${process.pid}`;
    let run = 0;

    before(async () => {
      opened = await open();
      // One window over the whole range: the single query search ran before windows.
      reference = createLogStore(opened.transport, database, { windows: { growth: 1, maxWindows: 1 } });
      await reference.migrate();
    });
    after(() => opened.close());

    test('search reads with top-K dynamic filtering off when the server has it, and without it when not', async () => {
      const known = await opened.transport.query<{ n: string }>(
        `SELECT count() AS n FROM system.settings WHERE name = 'use_top_k_dynamic_filtering'`,
      );
      for (const hasSetting of [Number(known[0]?.n) > 0, false]) {
        const sent: string[] = [];
        const transport: ClickHouseTransport = {
          ...opened.transport,
          async query<T>(sql: string, params?: SqlParams) {
            sent.push(sql);
            // An older server: the probe finds no such setting.
            if (!hasSetting && sql.includes('system.settings')) return [{ n: '0' }] as T[];
            return opened.transport.query<T>(sql, params);
          },
        };
        const store = createLogStore(transport, database);
        const tenant = `settings-${hasSetting}`;
        const x = { id: 'x', offset: 0n, service: 'api', level: 'info', body: 'alpha' };
        await store.insert(JSON.stringify(toRecord(tenant, x)));
        const filter: LogFilter = { tenant, fromNs: T0, toNs: T0 + 1000n * MS, services: [], levels: [], query: null };
        assert.deepEqual(
          (await store.search(filter, { limit: 5 })).records.map((r) => r.id),
          ['x'],
        );
        await store.search(filter, { limit: 5 });
        const reads = sent.filter((sql) => sql.includes('.logs'));
        assert.ok(reads.length >= 2);
        for (const sql of reads)
          assert.equal(sql.endsWith('SETTINGS use_top_k_dynamic_filtering = 0'), hasSetting, sql);
        const probes = sent.filter((sql) => sql.includes(`name = 'use_top_k_dynamic_filtering'`));
        assert.equal(probes.length, 1, 'the server is asked once per store');
      }
    });

    test('a search that must hold an id reads its range in one query, a word newest window first', async () => {
      const reads: string[] = [];
      const transport: ClickHouseTransport = {
        ...opened.transport,
        query<T>(sql: string, params?: SqlParams) {
          if (sql.includes('.logs')) reads.push(sql);
          return opened.transport.query<T>(sql, params);
        },
      };
      const tenant = 'one-window';
      const store = createLogStore(transport, database, {
        windows: { firstNs: 10n * MS, growth: 2, maxWindows: 4 },
        now: () => T0 + 400n * MS,
      });
      const old = { offset: 0n, service: 'api', level: 'info' };
      await store.insert(
        [
          { ...old, id: 'x', body: 'alpha req7f3a09c2b1' },
          { ...old, id: 'y', body: 'alpha' },
        ]
          .map((g) => JSON.stringify(toRecord(tenant, g)))
          .join('\n'),
      );
      const searchFor = async (q: string) => {
        reads.length = 0;
        const filter = { tenant, fromNs: T0, toNs: T0 + 400n * MS, services: [], levels: [], query: parseQuery(q) };
        const ids = (await store.search(filter, { limit: 5 })).records.map((r) => r.id);
        return { ids, reads: reads.length };
      };
      assert.deepEqual(await searchFor('req7F3A09C2B1'), { ids: ['x'], reads: 1 });
      // The newest 10 ms hold nothing, nor the 20 and 40 before: the word is found by a fourth query, the rest.
      assert.deepEqual(await searchFor('alpha'), { ids: ['y', 'x'], reads: 4 });
    });

    test('every page and next cursor of a windowed search equal those of a single query over the range', async () => {
      const seen = { records: 0, pagesWithNext: 0 };
      await fc.assert(
        fc.asyncProperty(
          records,
          fc.array(search, { minLength: 1, maxLength: 3 }),
          windows,
          async (rows, searches, w) => {
            const tenant = `t${run++}`;
            await reference.insert(rows.map((g) => JSON.stringify(toRecord(tenant, g))).join('\n'));
            const windowed = createLogStore(opened.transport, database, {
              windows: { firstNs: w.firstNs, growth: w.growth, maxWindows: w.maxWindows },
              now: () => T0 + w.now,
            });
            for (const s of searches) {
              const filter: LogFilter = {
                tenant,
                fromNs: T0 + s.from,
                toNs: T0 + s.from + s.length,
                services: s.services,
                levels: s.levels,
                query: parseQuery(s.query ?? ''),
              };
              let cursor = s.cursor ? encodeCursor({ ns: String(T0 + s.cursor[0]), id: s.cursor[1] }) : undefined;
              // Follow the pages as a client would, a few deep.
              for (let pageNo = 0; pageNo < 4; pageNo++) {
                const want = await reference.search(filter, { limit: s.limit, cursor });
                const got = await windowed.search(filter, { limit: s.limit, cursor });
                assert.deepEqual(got, want);
                seen.records += want.records.length;
                if (!want.nextCursor) break;
                seen.pagesWithNext++;
                cursor = want.nextCursor;
              }
            }
          },
        ),
        // One fixed case besides the generated ones: twelve records paged two at a time, so pages with a
        // next cursor are always among the cases compared, whatever the generator drew this run.
        { numRuns: 60, examples: [[PAGED.rows, [PAGED.search], PAGED.windows]] },
      );
      // The cases did reach records and further pages, not only empty answers.
      assert.ok(seen.records > 0 && seen.pagesWithNext > 0, JSON.stringify(seen));
    });
  });
}
