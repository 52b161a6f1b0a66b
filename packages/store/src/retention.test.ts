import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { waitUntil } from '@instant-logs/testbed';
import { createLogStore } from './log-store.ts';
import { openChdbForTest, openHttpForTest, type OpenedTransport } from './transport-contract.ts';

const DAY_MS = 86_400_000;

// Rows as the collector writes them for tenants with a retention policy: retention_days per row.
function rows(tenant: string, retentionDays: number, ageMs: number): string {
  return Array.from({ length: 5 }, (_, i) => {
    const ts = new Date(Date.now() - ageMs + i * 1000).toISOString();
    return JSON.stringify({
      id: `${tenant}-${i}`,
      tenant,
      timestamp: ts,
      observed_timestamp: ts,
      service: 'api',
      level: 'info',
      severity_text: 'INFO',
      severity_number: 9,
      body: `request ${i}`,
      attributes: {},
      resource: {},
      trace_id: '',
      span_id: '',
      retention_days: retentionDays,
    });
  }).join('\n');
}

function describeRetention(name: string, open: () => Promise<OpenedTransport>): void {
  describe(`retention over ${name}`, () => {
    let opened: OpenedTransport;
    const db = `retention_${process.pid}`;
    const countsByTenant = async () => {
      const found = await opened.transport.query<{ tenant: string; n: string | number }>(
        `SELECT tenant, count() AS n FROM ${db}.logs GROUP BY tenant ORDER BY tenant`,
      );
      return Object.fromEntries(found.map((r) => [r.tenant, Number(r.n)]));
    };

    before(async () => {
      opened = await open();
      const store = createLogStore(opened.transport, db);
      await store.migrate();
      await store.insert(rows('a', 1, 3 * DAY_MS));
      await store.insert(rows('b', 30, 3 * DAY_MS));
      await store.insert(rows('c', 1, 0));
    });
    after(() => opened.close());

    test('rows past their own retention are gone after a merge while older-lived rows of the same age stay', async () => {
      await opened.transport.command(`OPTIMIZE TABLE ${db}.logs FINAL`);
      // a: 3 days old with 1 day of retention → gone; b: same age, 30 days → kept; c: fresh with 1 day → kept.
      assert.deepEqual(await countsByTenant(), { b: 5, c: 5 });
    });

    test('stored rows are deleted by a merge once their retention passes', async () => {
      // ClickHouse already drops rows that are expired when written, so to see stored rows expire
      // these are written a few seconds before their one day runs out.
      await opened.transport.command(
        `INSERT INTO ${db}.logs (tenant, timestamp, id, service, retention_days) VALUES ('d', now64(9) - INTERVAL 1 DAY + INTERVAL 5 SECOND, 'd-0', 'api', 1)`,
      );
      assert.equal((await countsByTenant())['d'], 1);
      await waitUntil(
        'tenant d’s row to expire',
        async () => {
          await opened.transport.command(`OPTIMIZE TABLE ${db}.logs FINAL`);
          return (await countsByTenant())['d'] === undefined ? true : undefined;
        },
        30_000,
        250,
      );
      assert.deepEqual(await countsByTenant(), { b: 5, c: 5 });
    });

    test('the kept rows still carry the retention they were written with', async () => {
      const found = await opened.transport.query<{ tenant: string; d: number }>(
        `SELECT DISTINCT tenant, retention_days AS d FROM ${db}.logs ORDER BY tenant`,
      );
      assert.deepEqual(
        found.map((r) => [r.tenant, Number(r.d)]),
        [
          ['b', 30],
          ['c', 1],
        ],
      );
    });
  });
}

describeRetention('chdb', () => openChdbForTest('retention-chdb-'));

describeRetention('ClickHouse HTTP', openHttpForTest);
