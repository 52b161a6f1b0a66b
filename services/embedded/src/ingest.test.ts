import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { gzipSync, zstdCompressSync } from 'node:zlib';
import { IngestResponse, LIMITS, LogPage } from '@instant-logs/schema';
import { startTestPipeline } from './test-pipeline.ts';
import type { EmbeddedPipeline } from './app.ts';

let p: EmbeddedPipeline;
before(async () => {
  p = await startTestPipeline();
});
after(() => p.close());

const post = (payload: string | Buffer, headers: Record<string, string> = { 'content-type': 'application/json' }) =>
  p.app.inject({ method: 'POST', url: '/api/v1/logs', payload, headers });
const search = async (query: string) => {
  const res = await p.app.inject({ method: 'GET', url: `/api/v1/logs?from=now-1h&${query}` });
  assert.equal(res.statusCode, 200, res.body);
  return LogPage.parse(res.json());
};

describe('POST /api/v1/logs', () => {
  test('acknowledged records are already queryable, and bad ones beside them are reported by index', async () => {
    const res = await post(
      JSON.stringify([
        {
          service: 'checkout',
          level: 'error',
          message: 'payment declined for order A-1',
          attributes: { order: { id: 'A-1' } },
        },
        { level: 'info', message: 'no service here' },
        { service: 'checkout', message: 'order A-2 placed', marker: 'batch-1' },
      ]),
    );
    assert.equal(res.statusCode, 202, res.body);
    const body = IngestResponse.parse(res.json());
    assert.equal(body.accepted, 2);
    assert.equal(body.rejected, 1);
    assert.deepEqual(body.errors, [
      { index: 1, field: 'service', message: 'is required (or resource."service.name")' },
    ]);
    const page = await search('service=checkout');
    assert.deepEqual(page.records.map((r) => r.body).sort(), ['order A-2 placed', 'payment declined for order A-1']);
    const declined = page.records.find((r) => r.body.startsWith('payment'))!;
    assert.equal(declined.level, 'error');
    assert.equal(declined.attributes['order.id'], 'A-1');
    assert.equal(declined.tenant, 'default');
  });

  test('NDJSON keeps good lines when one line is not JSON', async () => {
    const lines = [
      '{"service":"nd","message":"first"}',
      '{"service":"nd", broken',
      '{"service":"nd","message":"third"}',
    ].join('\n');
    const res = await post(lines, { 'content-type': 'application/x-ndjson' });
    assert.equal(res.statusCode, 202);
    const body = IngestResponse.parse(res.json());
    assert.equal(body.accepted, 2);
    assert.equal(body.errors[0]?.index, 1);
    assert.match(body.errors[0]!.message, /invalid JSON/);
  });

  test('gzip and zstd bodies are decoded', async () => {
    const ndjson = '{"service":"zip","message":"compressed gzip"}\n{"service":"zip","message":"compressed zstd"}';
    assert.equal(
      (await post(gzipSync(ndjson), { 'content-type': 'application/x-ndjson', 'content-encoding': 'gzip' })).statusCode,
      202,
    );
    assert.equal(
      (await post(zstdCompressSync(ndjson), { 'content-type': 'application/x-ndjson', 'content-encoding': 'zstd' }))
        .statusCode,
      202,
    );
    assert.equal((await search('service=zip')).records.length, 4);
  });

  test('each kind of bad request gets its status and a coded error', async () => {
    const cases: [Promise<{ statusCode: number; json(): unknown }>, number, string][] = [
      [post('{"service": "x", '), 400, 'COLLECTOR_INVALID_JSON'],
      [post('[]'), 400, 'COLLECTOR_EMPTY'],
      [post('[{"message":"no service"}]'), 400, 'COLLECTOR_INVALID_RECORDS'],
      [post('<xml/>', { 'content-type': 'application/xml' }), 415, 'COLLECTOR_UNSUPPORTED_MEDIA_TYPE'],
      [
        post('{}', { 'content-type': 'application/json', 'content-encoding': 'br' }),
        415,
        'COLLECTOR_UNSUPPORTED_ENCODING',
      ],
      [
        post(Buffer.from('not gzip'), { 'content-type': 'application/json', 'content-encoding': 'gzip' }),
        400,
        'COLLECTOR_BAD_ENCODING',
      ],
      [
        post(gzipSync(Buffer.alloc(6 * 1024 * 1024, 0x20)), {
          'content-type': 'application/json',
          'content-encoding': 'gzip',
        }),
        413,
        'COLLECTOR_PAYLOAD_TOO_LARGE',
      ],
    ];
    for (const [pending, status, code] of cases) {
      const res = await pending;
      assert.equal(res.statusCode, status, code);
      assert.equal((res.json() as { error: { code: string } }).error.code, code);
    }
  });

  test('a 415 lists the accepted types (text/plain is not one) and a 413 states the documented 5 MiB limit', async () => {
    const plain = await post('{"service":"a","message":"b"}', { 'content-type': 'text/plain' });
    assert.equal(plain.statusCode, 415);
    assert.equal(plain.json().error.field, 'Content-Type');
    assert.match(
      plain.json().error.message,
      /"text\/plain" is not accepted here; send one of: application\/json, application\/x-ndjson/,
    );
    const large = await post(Buffer.alloc(LIMITS.maxRequestBytes + 1, 0x20));
    assert.equal(large.statusCode, 413);
    assert.deepEqual(large.json(), {
      error: { code: 'COLLECTOR_PAYLOAD_TOO_LARGE', message: 'request body exceeds the limit of 5242880 bytes' },
    });
  });

  test('a rejected-only request still lists every record error', async () => {
    const res = await post('[{"message":"a"},{"service":"s"}]');
    const body = res.json() as { rejected: number; errors: { field: string }[] };
    assert.equal(body.rejected, 2);
    assert.deepEqual(
      body.errors.map((e) => e.field),
      ['service', 'message'],
    );
  });

  test('an oversized record is rejected alone', async () => {
    const big = JSON.stringify({ service: 'big', message: 'x'.repeat(1024 * 1024 + 10) });
    const res = await post(`${big}\n{"service":"big","message":"small one"}`, {
      'content-type': 'application/x-ndjson',
    });
    assert.equal(res.statusCode, 202);
    const body = IngestResponse.parse(res.json());
    assert.equal(body.accepted, 1);
    assert.match(body.errors[0]!.message, /exceeds 1048576 bytes/);
  });
});

describe('authentication', () => {
  test('with API keys configured, a missing or unknown key is a 401 and a key sets the tenant', async () => {
    const secured = await startTestPipeline({ apiKeys: 'key-for-team-a-0001:team-a,key-for-team-b-0001:team-b' });
    try {
      const send = (key?: string) =>
        secured.app.inject({
          method: 'POST',
          url: '/api/v1/logs',
          headers: { 'content-type': 'application/json', ...(key ? { authorization: `Bearer ${key}` } : {}) },
          payload: '{"service":"auth","message":"who am i"}',
        });
      assert.equal((await send()).statusCode, 401);
      assert.equal((await send('wrong-key-wrong-key')).json().error.code, 'COLLECTOR_UNAUTHORIZED');
      assert.equal((await send('key-for-team-a-0001')).statusCode, 202);
      const read = (key: string) =>
        secured.app.inject({
          method: 'GET',
          url: '/api/v1/logs?from=now-1h',
          headers: { authorization: `Bearer ${key}` },
        });
      assert.equal(LogPage.parse((await read('key-for-team-a-0001')).json()).records[0]?.tenant, 'team-a');
      assert.equal(LogPage.parse((await read('key-for-team-b-0001')).json()).records.length, 0);
      assert.equal((await secured.app.inject({ method: 'GET', url: '/healthz' })).statusCode, 200);
    } finally {
      await secured.close();
    }
  });
});

describe('metrics', () => {
  test('/metrics reports accepted and rejected records, batches and query latency by name', async () => {
    await post('[{"service":"m","message":"counted"},{"message":"no service"}]');
    await p.app.inject({ method: 'GET', url: '/api/v1/logs?from=now-1h' });
    const text = (await p.app.inject({ method: 'GET', url: '/metrics' })).body;
    const value = (pattern: RegExp) => Number(pattern.exec(text)?.[1] ?? Number.NaN);
    assert.ok(value(/^instant_logs_collector_records_accepted_total (\d+)/m) >= 1);
    assert.ok(value(/^instant_logs_collector_records_rejected_total\{reason="service"\} (\d+)/m) >= 1);
    assert.ok(value(/^instant_logs_processor_records_inserted_total (\d+)/m) >= 1);
    assert.ok(value(/^instant_logs_processor_batch_rows_count (\d+)/m) >= 1);
    assert.ok(value(/^instant_logs_query_duration_seconds_count\{route="\/api\/v1\/logs",status="200"\} (\d+)/m) >= 1);
  });
});
