import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { parseQuery } from '@instant-logs/query-language';
import { newRecordId, type LogRecord } from '@instant-logs/schema';
import { createLogStore, type LogFilter, type LogStore } from './log-store.ts';
import { migrate } from './migrations.ts';
import type { OpenedTransport } from './transport-contract.ts';

const RECORDS = 3000;
const T0 = Date.now() - 3_600_000;
const SERVICES = ['api', 'web', 'worker'];
const LEVELS = ['info', 'info', 'warn', 'error'];

// Words, numbers and one-off ids as in real messages: what migration 3 splits between two indexes.
function generate(): string {
  const lines: string[] = [];
  for (let i = 0; i < RECORDS; i++) {
    const ms = T0 + i * 1_000;
    const body =
      i % 500 === 7
        ? `charge failed: circuit breaker open after ${i % 13} failures, request req${i}x`
        : `GET /orders/ord${i} ${i % 3 === 0 ? 'completed' : 'queued'} in ${i % 97} ms for user u${i % 41}, request req${i}x`;
    lines.push(
      JSON.stringify({
        id: newRecordId(ms),
        tenant: 'acme',
        timestamp: new Date(ms).toISOString(),
        observed_timestamp: new Date(ms).toISOString(),
        service: SERVICES[i % 3],
        level: LEVELS[i % 4],
        severity_text: '',
        severity_number: 9,
        body,
        attributes: { host: `h${i % 5}`, 'http.status': String(i % 4 === 3 ? 500 : 200) },
        resource: {},
        trace_id: '',
        span_id: '',
      }),
    );
  }
  return lines.join('\n');
}

/** Registers the tests of migration 3 (the split text index) on a database written by version 2. */
export function describeSplitIndexContract(name: string, open: () => Promise<OpenedTransport>): void {
  describe(`upgrading a version 2 database to the split text index over ${name}`, () => {
    let opened: OpenedTransport;
    let store: LogStore;
    const db = `split_${process.pid}`;
    const filter = (q: string, over: Partial<LogFilter> = {}): LogFilter => ({
      tenant: 'acme',
      fromNs: BigInt(T0) * 1_000_000n,
      toNs: BigInt(T0 + RECORDS * 1_000) * 1_000_000n,
      services: [],
      levels: [],
      query: q ? parseQuery(q) : null,
      ...over,
    });
    const QUERIES: [string, LogFilter, number][] = [
      ['a rare word', filter('breaker'), 6],
      ['a common word', filter('completed'), 998],
      ['a request id (needle)', filter('req1234x'), 1],
      ['a number', filter('"in 42 ms"'), 31],
      ['a phrase of words and an id', filter('"circuit breaker open after 7"'), 1],
      ['a word prefix', filter('complet*'), 998],
      ['a word excluded, service and level', filter('-queued', { services: ['api'], levels: ['error'] }), 250],
      ['an attribute', filter('http.status:500'), 750],
    ];
    const search = async (f: LogFilter) => {
      const records: LogRecord[] = [];
      let cursor: string | undefined;
      do {
        const page = await store.search(f, { limit: 400, cursor });
        records.push(...page.records);
        cursor = page.nextCursor ?? undefined;
      } while (cursor);
      return records;
    };
    const before2 = new Map<string, LogRecord[]>();

    before(async () => {
      opened = await open();
      store = createLogStore(opened.transport, db);
      assert.deepEqual((await migrate(opened.transport, db, 2)).applied, [1, 2]);
      await store.insert(generate());
      for (const [q, f] of QUERIES) before2.set(q, await search(f));
    });
    after(async () => {
      await opened.transport.command(`DROP DATABASE IF EXISTS ${db}`);
      await opened.close();
    });

    test('version 2 answers every query as the data says', () => {
      for (const [q, , n] of QUERIES) assert.equal(before2.get(q)?.length, n, q);
    });

    test('migration 3 keeps every record and every answer, while its indexes are built and after', async () => {
      assert.deepEqual((await store.migrate()).applied, [3, 4, 5, 6, 7]);
      assert.equal(await store.count('acme'), RECORDS);
      for (const [q, f] of QUERIES) assert.deepEqual(await search(f), before2.get(q), q);

      // The indexes are built by background mutations; wait for them, then ask again.
      const deadline = Date.now() + 60_000;
      const pending = async () =>
        Number(
          (
            await opened.transport.query<{ n: string }>(
              `SELECT count() AS n FROM system.mutations WHERE database = {db:String} AND table = 'logs' AND NOT is_done`,
              { db },
            )
          )[0]?.n,
        );
      while ((await pending()) > 0) assert.ok(Date.now() < deadline, 'the index mutations did not finish in 60 s');
      const indexes = await opened.transport.query<{ name: string; bytes: string }>(
        `SELECT name, data_compressed_bytes AS bytes FROM system.data_skipping_indices WHERE database = {db:String} AND table = 'logs' ORDER BY name`,
        { db },
      );
      const byName = new Map(indexes.map((i) => [i.name, Number(i.bytes)]));
      assert.ok(!byName.has('idx_body'));
      assert.ok(byName.get('idx_words')! > 0 && byName.get('idx_body_tokens')! > 0, JSON.stringify(indexes));
      assert.equal(await store.count('acme'), RECORDS);
      for (const [q, f] of QUERIES) assert.deepEqual(await search(f), before2.get(q), q);
    });

    test('records written after the upgrade are found by words and by ids, the words index built on insert', async () => {
      const ms = T0 + RECORDS * 1_000 - 500;
      const row = {
        id: newRecordId(ms),
        tenant: 'acme',
        timestamp: new Date(ms).toISOString(),
        service: 'api',
        level: 'info',
        body: 'Tariff zeta9 applied',
      };
      // Merges stopped so the insert's own part can be looked at: without merges, it has only what the insert built.
      await opened.transport.command(`SYSTEM STOP MERGES ${db}.logs`);
      await store.insert(JSON.stringify(row));
      const [fresh] = await opened.transport.query<{ bytes: string }>(
        `SELECT secondary_indices_compressed_bytes AS bytes FROM system.parts WHERE database = {db:String} AND table = 'logs' AND active AND rows = 1`,
        { db },
      );
      await opened.transport.command(`SYSTEM START MERGES ${db}.logs`);
      assert.ok(Number(fresh?.bytes) > 0, 'the fresh part has no skip index');
      for (const q of ['tariff', 'ZETA9', '"tariff zeta9"']) {
        const found = await search(filter(q));
        assert.deepEqual(
          found.map((r) => r.id),
          [row.id],
          q,
        );
      }
    });

    test('in a part no merge has touched, an id in the message or a trace id skips granules by its bloom filter', async () => {
      const ROWS = 20_000;
      const NEEDLE = 15_000;
      const traceId = '4bf92f3577b34da6a3ce929d0e0e4736';
      const ms = T0 + RECORDS * 1_000 - 400;
      const rows = Array.from({ length: ROWS }, (_, i) =>
        JSON.stringify({
          id: newRecordId(ms),
          tenant: 'acme',
          timestamp: new Date(ms).toISOString(),
          service: 'api',
          level: 'info',
          body: `GET /carts/c${i} done in ${i % 89} ms, request rq${i}z`,
          ...(i === NEEDLE ? { trace_id: traceId } : {}),
        }),
      );
      await opened.transport.command(`SYSTEM STOP MERGES ${db}.logs`);
      try {
        await store.insert(rows.join('\n'));
        const [part] = await opened.transport.query<{ name: string }>(
          `SELECT name FROM system.parts WHERE database = {db:String} AND table = 'logs' AND active AND rows = ${ROWS}`,
          { db },
        );
        // Granules of the one part before and after the index named: equal when the part lacks that index.
        const granules = async (index: string, condition: string) => {
          const plan = await opened.transport.query<{ explain: string }>(
            `EXPLAIN indexes = 1 SELECT id FROM ${db}.logs WHERE _part = {part:String} AND ${condition}`,
            { part: part!.name },
          );
          const lines = plan.map((r) => r.explain.trim());
          const at = lines.indexOf(`Name: ${index}`);
          assert.ok(at >= 0, `${index} not used:\n${lines.join('\n')}`);
          const counts = lines.slice(at).find((l) => l.startsWith('Granules:'));
          return counts!.replace('Granules: ', '');
        };
        // One granule of the part's two or more is left: the one that holds the needle.
        assert.match(await granules('idx_body_tokens', `hasToken(lower(body), 'rq${NEEDLE}z')`), /^1\/[2-9]$/);
        assert.match(await granules('idx_trace_id', `trace_id = '${traceId}'`), /^1\/[2-9]$/);
      } finally {
        await opened.transport.command(`SYSTEM START MERGES ${db}.logs`);
      }
      assert.equal((await search(filter(`rq${NEEDLE}z`))).length, 1);
    });
  });
}
