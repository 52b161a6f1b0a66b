import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { IngestResponse, LogPage, parseTenantPolicies } from '@instant-logs/schema';
import { createHttpTransport, createLogStore } from '@instant-logs/store';
import { startClickHouseServer } from '@instant-logs/testbed';
import type { EmbeddedPipeline } from './app.ts';
import { startTestPipeline } from './test-pipeline.ts';

const KEY_A = 'key-for-tenant-a-0001';
const KEY_B = 'key-for-tenant-b-0001';
const API_KEYS = `${KEY_A}:a,${KEY_B}:b`;
const DAY_MS = 86_400_000;

// a: 5 records/s with a 2 s burst (a bucket of 10) and 1 day of retention; b: no limits.
const policies = parseTenantPolicies(
  JSON.stringify({ tenants: { a: { recordsPerSecond: 5, burstSeconds: 2, retentionDays: 1 } } }),
);

const records = (n: number, marker: string, timestamp?: string) =>
  Array.from({ length: n }, (_, i) =>
    JSON.stringify({ service: 'api', message: `${marker} ${i}`, ...(timestamp ? { timestamp } : {}) }),
  ).join('\n');

function client(p: EmbeddedPipeline) {
  return {
    post: (key: string, ndjson: string) =>
      p.app.inject({
        method: 'POST',
        url: '/api/v1/logs',
        payload: ndjson,
        headers: { 'content-type': 'application/x-ndjson', authorization: `Bearer ${key}` },
      }),
    search: async (key: string, q: string, from = 'now-1h') => {
      const res = await p.app.inject({
        method: 'GET',
        url: `/api/v1/logs?from=${from}&limit=1000&q=${encodeURIComponent(q)}`,
        headers: { authorization: `Bearer ${key}` },
      });
      assert.equal(res.statusCode, 200, res.body);
      return LogPage.parse(res.json()).records;
    },
  };
}

describe('per-tenant rate limits on the embedded pipeline', () => {
  let p: EmbeddedPipeline;
  let now = Date.now();
  before(async () => {
    p = await startTestPipeline({ apiKeys: API_KEYS, tenants: policies, clock: () => now });
  });
  after(() => p.close());

  test('a tenant over its limit gets 429 with Retry-After while another tenant goes through', async () => {
    const { post } = client(p);
    assert.equal((await post(KEY_A, records(10, 'burst'))).statusCode, 202);
    const refused = await post(KEY_A, records(3, 'refused'));
    assert.equal(refused.statusCode, 429, refused.body);
    assert.equal(refused.headers['retry-after'], '1'); // 3 records at 5/s
    assert.equal(refused.json().error.code, 'COLLECTOR_TENANT_RATE_LIMITED');
    assert.match(refused.json().error.message, /tenant "a".*5 records per second/);
    const other = await post(KEY_B, records(50, 'plenty'));
    assert.equal(other.statusCode, 202, other.body);
    assert.equal(IngestResponse.parse(other.json()).accepted, 50);
  });

  test('nothing from a refused request is stored', async () => {
    const { search } = client(p);
    assert.equal((await search(KEY_A, 'burst')).length, 10);
    assert.equal((await search(KEY_A, 'refused')).length, 0);
  });

  test('the refusal is counted per tenant and limit', async () => {
    const res = await p.app.inject({ method: 'GET', url: '/metrics' });
    assert.match(res.body, /instant_logs_collector_throttled_total\{tenant="a",limit="records_per_second"\} 1\b/);
  });

  test('once the clock has moved on the tenant is admitted again', async () => {
    const { post, search } = client(p);
    now += 1000; // 5 tokens back
    const res = await post(KEY_A, records(3, 'later'));
    assert.equal(res.statusCode, 202, res.body);
    assert.equal((await search(KEY_A, 'later')).length, 3);
  });

  test('OTLP requests draw on the same tenant limit', async () => {
    const { search } = client(p);
    now += 10_000; // a full bucket of 10 again
    const logRecords = Array.from({ length: 11 }, (_, i) => ({ body: { stringValue: `otlp ${i}` } }));
    const body = {
      resourceLogs: [
        {
          resource: { attributes: [{ key: 'service.name', value: { stringValue: 'api' } }] },
          scopeLogs: [{ logRecords }],
        },
      ],
    };
    const send = () =>
      p.app.inject({
        method: 'POST',
        url: '/v1/logs',
        payload: JSON.stringify(body),
        headers: { 'content-type': 'application/json', authorization: `Bearer ${KEY_A}` },
      });
    assert.equal((await send()).statusCode, 200); // 11 > the bucket of 10, admitted on a full bucket into debt
    const refused = await send();
    assert.equal(refused.statusCode, 429, refused.body);
    assert.equal(refused.headers['retry-after'], '3'); // 10 tokens for a full bucket + 1 of debt at 5/s = 2.2 s
    assert.equal((await search(KEY_A, 'otlp')).length, 11);
  });

  test('a record older than its tenant’s retention is not kept, while the same record of a tenant without a policy is', async () => {
    const { post, search } = client(p);
    now += 10_000;
    const threeDaysAgo = new Date(now - 3 * DAY_MS).toISOString();
    assert.equal((await post(KEY_A, records(1, 'ancient', threeDaysAgo))).statusCode, 202);
    assert.equal((await post(KEY_B, records(1, 'ancient', threeDaysAgo))).statusCode, 202);
    assert.equal((await search(KEY_B, 'ancient', 'now-7d')).length, 1);
    assert.equal((await search(KEY_A, 'ancient', 'now-7d')).length, 0);
  });
});

describe('per-tenant retention on stored rows', () => {
  test('the tenant’s policy puts its retention_days on every row it stores', async () => {
    const server = await startClickHouseServer();
    const transport = createHttpTransport({ url: server.url });
    const store = createLogStore(transport, `tenants_${process.pid}`);
    await store.migrate();
    const p = await startTestPipeline({ apiKeys: API_KEYS, tenants: policies, store });
    try {
      const { post } = client(p);
      assert.equal((await post(KEY_A, records(3, 'kept'))).statusCode, 202);
      assert.equal((await post(KEY_B, records(2, 'kept'))).statusCode, 202);
      const rows = await transport.query<{ tenant: string; d: number; n: string | number }>(
        `SELECT tenant, retention_days AS d, count() AS n FROM ${store.database}.logs GROUP BY tenant, d ORDER BY tenant`,
      );
      // b has no policy, so its rows keep the table's default (30 days).
      assert.deepEqual(
        rows.map((r) => [r.tenant, Number(r.d), Number(r.n)]),
        [
          ['a', 1, 3],
          ['b', 30, 2],
        ],
      );
    } finally {
      await p.close();
      await transport.close();
      await server.stop();
    }
  });
});
