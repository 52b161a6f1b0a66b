import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { Facets, Histogram, LogPage } from '@instant-logs/schema';
import { eventually, startTestPipeline } from './test-pipeline.ts';
import type { EmbeddedPipeline } from './app.ts';

let p: EmbeddedPipeline;
// Hour-aligned and recent: a fixed date would age past the table's TTL (30 days) and merges would drop the data.
const base = Math.floor(Date.now() / 3_600_000) * 3_600_000 - 2 * 3_600_000;
const at = (minute: number) => new Date(base + minute * 60_000).toISOString();

before(async () => {
  p = await startTestPipeline({ clock: () => base + 60 * 60_000 });
  const records = [
    {
      timestamp: at(0),
      service: 'api',
      level: 'info',
      message: 'GET /orders 200 in 12ms',
      attributes: { http: { status_code: 200 } },
    },
    {
      timestamp: at(1),
      service: 'api',
      level: 'error',
      message: 'GET /orders 500: upstream timeout',
      attributes: { http: { status_code: 500 } },
    },
    {
      timestamp: at(2),
      service: 'payments',
      level: 'warn',
      message: 'card declined for user-42',
      attributes: { provider: 'stripe' },
    },
    {
      timestamp: at(3),
      service: 'payments',
      level: 'error',
      message: 'provider timeout after 3 retries',
      attributes: { provider: 'adyen' },
    },
    { timestamp: at(4), service: 'worker', level: 'debug', message: 'queue lag 0 messages' },
    ...Array.from({ length: 25 }, (_, i) => ({
      timestamp: at(10 + i),
      service: 'bulk',
      level: 'info',
      message: `bulk line ${i}`,
    })),
  ];
  const res = await p.app.inject({
    method: 'POST',
    url: '/api/v1/logs',
    payload: records,
    headers: { 'content-type': 'application/json' },
  });
  assert.equal(res.statusCode, 202, res.body);
});
after(() => p.close());

const get = async (url: string) => {
  const res = await p.app.inject({ method: 'GET', url });
  return { status: res.statusCode, body: res.json() };
};
const bodies = async (query: string) => {
  const { status, body } = await get(`/api/v1/logs?from=${at(-1)}&to=now&${query}`);
  assert.equal(status, 200, JSON.stringify(body));
  return LogPage.parse(body).records.map((r) => r.body);
};

describe('GET /api/v1/logs', () => {
  test('search terms, fields and negation narrow the results, newest first', async () => {
    assert.deepEqual(await bodies(`q=${encodeURIComponent('timeout')}`), [
      'provider timeout after 3 retries',
      'GET /orders 500: upstream timeout',
    ]);
    assert.deepEqual(await bodies(`q=${encodeURIComponent('timeout -service:payments')}`), [
      'GET /orders 500: upstream timeout',
    ]);
    assert.deepEqual(await bodies(`q=${encodeURIComponent('"card declined"')}`), ['card declined for user-42']);
    assert.deepEqual(await bodies(`q=${encodeURIComponent('provider:adyen OR http.status_code:>=500')}`), [
      'provider timeout after 3 retries',
      'GET /orders 500: upstream timeout',
    ]);
    assert.deepEqual(await bodies('level=warn&level=fatal'), ['card declined for user-42']);
    assert.deepEqual(await bodies('service=worker'), ['queue lag 0 messages']);
  });

  test('the time range bounds the results', async () => {
    const { body } = await get(`/api/v1/logs?from=${at(1)}&to=${at(2)}`);
    assert.deepEqual(
      LogPage.parse(body).records.map((r) => r.body),
      ['card declined for user-42', 'GET /orders 500: upstream timeout'],
    );
  });

  test('cursor pages walk every record once, and new inserts do not shift them', async () => {
    const seen: string[] = [];
    let cursor: string | null = null;
    let pages = 0;
    do {
      const { body } = await get(
        `/api/v1/logs?from=${at(-1)}&service=bulk&limit=10${cursor ? `&cursor=${cursor}` : ''}`,
      );
      const page = LogPage.parse(body);
      seen.push(...page.records.map((r) => r.body));
      cursor = page.next_cursor;
      if (++pages === 1) {
        // A newer record arriving between pages must not duplicate or skip anything.
        await p.app.inject({
          method: 'POST',
          url: '/api/v1/logs',
          payload: { timestamp: at(50), service: 'bulk', message: 'late arrival' },
          headers: { 'content-type': 'application/json' },
        });
      }
    } while (cursor);
    assert.equal(pages, 3);
    assert.deepEqual(
      seen,
      Array.from({ length: 25 }, (_, i) => `bulk line ${24 - i}`),
    );
  });

  test('a query syntax error is a 400 that points at the position', async () => {
    const { status, body } = await get(`/api/v1/logs?q=${encodeURIComponent('service:(oops')}`);
    assert.equal(status, 400);
    assert.equal(body.error.code, 'QUERY_SYNTAX');
    assert.equal(body.error.field, 'q');
    assert.equal(typeof body.error.position, 'number');
  });

  test('bad parameters name the field', async () => {
    for (const [query, field] of [
      ['from=yesterday', 'from'],
      ['limit=0', 'limit'],
      ['level=loud', 'level'],
      ['cursor=bogus', 'cursor'],
      [`from=now&to=now-1h`, 'from'],
    ]) {
      const { status, body } = await get(`/api/v1/logs?${query}`);
      assert.equal(status, 400, query);
      assert.equal(body.error.field, field, query);
    }
  });
});

describe('histogram and facets', () => {
  test('the histogram counts records per bucket and level over the range', async () => {
    const { body } = await get(`/api/v1/logs/histogram?from=${at(0)}&to=${at(4)}&buckets=5`);
    const h = Histogram.parse(body);
    assert.equal(h.interval_ms, 60_000);
    assert.equal(h.buckets.length, 5);
    assert.deepEqual(
      h.buckets.map((b) => b.counts['error']),
      [0, 1, 0, 1, 0],
    );
    assert.deepEqual(
      h.buckets.map((b) => b.counts['info']),
      [1, 0, 0, 0, 0],
    );
  });

  test('facets give top values with counts for service, level and an attribute', async () => {
    const { body } = await get(`/api/v1/facets?from=${at(-1)}&attribute=provider`);
    const f = Facets.parse(body);
    const byField = Object.fromEntries(f.facets.map((x) => [x.field, x.values]));
    assert.deepEqual(byField['service']?.[0], { value: 'bulk', count: 26 });
    assert.deepEqual(
      byField['level']?.find((v) => v.value === 'error'),
      { value: 'error', count: 2 },
    );
    assert.deepEqual(byField['provider'], [
      { value: 'adyen', count: 1 },
      { value: 'stripe', count: 1 },
    ]);
  });
});

describe('live tail', () => {
  test('a record ingested after the tail starts arrives over the WebSocket, filtered', async () => {
    await p.app.listen({ host: '127.0.0.1', port: 0 });
    const address = p.app.server.address();
    const port = typeof address === 'object' && address ? address.port : 0;
    const ws = new WebSocket(`ws://127.0.0.1:${port}/api/v1/tail?q=${encodeURIComponent('service:tailed')}`);
    const messages: { type: string; records?: { body: string }[] }[] = [];
    ws.addEventListener('message', (e) => messages.push(JSON.parse(String(e.data))));
    await eventually(async () => (messages.some((m) => m.type === 'ready') ? true : undefined), 10_000, 'tail ready');
    await p.app.inject({
      method: 'POST',
      url: '/api/v1/logs',
      payload: [
        { service: 'other', message: 'not for this tail' },
        { service: 'tailed', message: 'hello from tail' },
      ],
      headers: { 'content-type': 'application/json' },
    });
    const got = await eventually(async () => messages.find((m) => m.type === 'records'), 10_000, 'tailed record');
    assert.deepEqual(
      got.records?.map((r) => r.body),
      ['hello from tail'],
    );
    ws.close();
  });
});
