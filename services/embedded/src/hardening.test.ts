import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { randomUUID } from 'node:crypto';
import { gzipSync, zstdCompressSync } from 'node:zlib';
import { LIMITS, LogPage, type LogRecord } from '@instant-logs/schema';
import { startTestPipeline } from './test-pipeline.ts';
import type { EmbeddedPipeline } from './app.ts';

// Hostile input through the whole pipeline on real chdb. Without keys every request is one tenant;
// tenant separation has its own test (isolation.test.ts).
let p: EmbeddedPipeline;
before(async () => {
  p = await startTestPipeline({ logger: false });
});
after(() => p.close());

const post = async (url: string, payload: string | Buffer | unknown[], headers: Record<string, string> = {}) => {
  const res = await p.app.inject({
    method: 'POST',
    url,
    payload: payload as string,
    headers: { 'content-type': 'application/json', ...headers },
  });
  assert.ok(res.statusCode < 500, `${url} answered ${res.statusCode}: ${res.body}`);
  return {
    status: res.statusCode,
    body: res.json() as Record<string, unknown> & {
      accepted?: number;
      errors?: { index: number; field: string }[];
      error?: { code: string; field?: string; position?: number };
    },
  };
};
const get = async (url: string) => {
  const res = await p.app.inject({ method: 'GET', url });
  assert.ok(res.statusCode < 500, `${url} answered ${res.statusCode}: ${res.body}`);
  return {
    status: res.statusCode,
    body: res.json() as { error?: { code: string; field?: string; position?: number } },
  };
};
/** The records stored under `service`, oldest first. */
const stored = async (service: string): Promise<LogRecord[]> => {
  const res = await p.app.inject({
    method: 'GET',
    url: `/api/v1/logs?from=now-1h&limit=1000&service=${encodeURIComponent(service)}`,
  });
  assert.equal(res.statusCode, 200, res.body);
  return LogPage.parse(res.json()).records.reverse();
};
const unique = () => `svc-${randomUUID()}`;

describe('ingest keeps hostile values intact and good neighbours stored', () => {
  test('bad records in a batch are refused by index and the good ones around them are stored verbatim', async () => {
    const service = unique();
    const sql = "'); DROP TABLE logs; -- {p0:String}";
    const body = [
      `{"service":"${service}","message":"lone \\ud800 surrogate","attributes":{"k\\udc00":"v\\ud834"}}`,
      `{"service":"${service}","message":"too late","timestamp":"9999-12-31T23:59:59Z"}`,
      `{"service":"${service}","message":"nul \\u0000 and \\u001b[31m ctl\\r\\n","attributes":{"k\\u0000":"\\u0007"}}`,
      `{"service":"${service}","message":${'['.repeat(50_000)}${']'.repeat(50_000)}}`,
      `{"service":"${service}","message":${JSON.stringify(sql)},"level":"error","attributes":{${JSON.stringify(sql)}:${JSON.stringify(sql)}}}`,
      `{"service":"${service}","message":"overflow","timestamp":18446744073709551617}`,
      `{"service":"${service}","message":"proto","__proto__":{"polluted":"yes"},"attributes":{"constructor":{"prototype":{"polluted":"yes"}}}}`,
    ].join('\n');
    const res = await post('/api/v1/logs', body, { 'content-type': 'application/x-ndjson' });
    assert.equal(res.status, 202);
    assert.deepEqual(
      res.body.errors?.map((e) => [e.index, e.field]),
      [
        [1, 'timestamp'],
        [3, 'message'],
        [5, 'timestamp'],
      ],
    );
    // One request shares one timestamp, so the records are compared by body, not by order.
    const byBody = new Map((await stored(service)).map((r) => [r.body, r.attributes]));
    assert.deepEqual([...byBody.keys()].sort(), [
      "'); DROP TABLE logs; -- {p0:String}",
      'lone \ufffd surrogate',
      'nul \u0000 and \u001b[31m ctl\r\n',
      'proto',
    ]);
    assert.deepEqual(byBody.get('lone \ufffd surrogate'), { 'k\ufffd': 'v\ufffd' });
    assert.deepEqual(byBody.get('nul \u0000 and \u001b[31m ctl\r\n'), { 'k\u0000': '\u0007' });
    assert.deepEqual(byBody.get(sql), { [sql]: sql });
    assert.deepEqual(byBody.get('proto'), { '__proto__.polluted': 'yes', 'constructor.prototype.polluted': 'yes' });
    assert.equal(({} as Record<string, unknown>).polluted, undefined);
  });

  test('invalid UTF-8 is stored with U+FFFD in place of the bad bytes', async () => {
    const service = unique();
    const raw = Buffer.concat([
      Buffer.from(`{"service":"${service}","message":"bad `),
      Buffer.from([0xff, 0xc0, 0x80]),
      Buffer.from(' bytes"}'),
    ]);
    assert.equal((await post('/api/v1/logs', raw)).status, 202);
    assert.deepEqual(
      (await stored(service)).map((r) => r.body),
      ['bad \ufffd\ufffd\ufffd bytes'],
    );
  });

  test('a byte-order mark before JSON or NDJSON does not cost the first record', async () => {
    const service = unique();
    assert.equal((await post('/api/v1/logs', `\ufeff{"service":"${service}","message":"json"}`)).status, 202);
    const ndjson = gzipSync(`\ufeff{"service":"${service}","message":"ndjson"}\n`);
    assert.equal(
      (await post('/api/v1/logs', ndjson, { 'content-type': 'application/x-ndjson', 'content-encoding': 'gzip' }))
        .status,
      202,
    );
    assert.deepEqual((await stored(service)).map((r) => r.body).sort(), ['json', 'ndjson']);
  });

  test('NUL, CR and U+2028 inside strings do not split NDJSON lines', async () => {
    const service = unique();
    const lines = ['a\u0000b', 'c\rd', 'e\u2028f\u2029g'].map((m) =>
      JSON.stringify({ service, message: m }).replace('\\r', '\r'),
    );
    const res = await post('/api/v1/logs', zstdCompressSync(lines.join('\r\n')), {
      'content-type': 'application/x-ndjson',
      'content-encoding': 'zstd',
    });
    // A raw CR inside a JSON string is invalid JSON: that line alone is refused.
    assert.deepEqual(
      res.body.errors?.map((e) => e.index),
      [1],
    );
    assert.deepEqual((await stored(service)).map((r) => r.body).sort(), ['a\u0000b', 'e\u2028f\u2029g']);
  });

  test('request limits answer 413 and record limits name the record and field', async () => {
    const tooMany = Buffer.from('{}\n'.repeat(LIMITS.maxRecordsPerRequest + 1));
    assert.equal((await post('/api/v1/logs', tooMany, { 'content-type': 'application/x-ndjson' })).status, 413);
    const huge = gzipSync(Buffer.alloc(LIMITS.maxRequestBytes + 1, 0x20));
    assert.equal((await post('/api/v1/logs', huge, { 'content-encoding': 'gzip' })).status, 413);
    const service = unique();
    const wide = Object.fromEntries(Array.from({ length: LIMITS.maxAttributes + 1 }, (_, i) => [`k${i}`, i]));
    const res = await post('/api/v1/logs', [
      { service, message: 'long key', attributes: { ['k'.repeat(LIMITS.maxKeyLength + 1)]: 1 } },
      { service, message: 'wide', attributes: wide },
      { service, message: 'x'.repeat(LIMITS.maxValueLength + 1) },
      { service: 's'.repeat(LIMITS.maxServiceLength + 1), message: 'long service' },
      { service, message: 'kept' },
    ]);
    // A value over the value limit is also a record over the record limit when it arrives as JSON.
    assert.deepEqual(
      res.body.errors?.map((e) => [e.index, e.field.slice(0, 12)]),
      [
        [0, 'attributes.k'],
        [1, 'attributes'],
        [2, '(record)'],
        [3, 'service'],
      ],
    );
    assert.deepEqual(
      (await stored(service)).map((r) => r.body),
      ['kept'],
    );
  });

  test('an OTLP record with a lone surrogate or an impossible time is refused or cleaned alone', async () => {
    const service = unique();
    const attr = (key: string, value: string) => ({ key, value: { stringValue: value } });
    const otlp = `{"resourceLogs":[{"resource":{"attributes":[${JSON.stringify(attr('service.name', service))}]},"scopeLogs":[{"logRecords":[
      {"body":{"stringValue":"otlp \\ud800"},"attributes":[{"key":"k","value":{"stringValue":"\\udfff"}}]},
      {"body":{"stringValue":"too late"},"timeUnixNano":"18446744073709551615"},
      {"body":{"stringValue":"fine"}}]}]}]}`;
    const res = await p.app.inject({
      method: 'POST',
      url: '/v1/logs',
      payload: otlp,
      headers: { 'content-type': 'application/json' },
    });
    assert.equal(res.statusCode, 200, res.body);
    assert.equal(res.json().partialSuccess?.rejectedLogRecords, '1');
    const records = await stored(service);
    assert.deepEqual(records.map((r) => r.body).sort(), ['fine', 'otlp \ufffd']);
  });
});

describe('query parameters that cannot be answered are 400s naming the parameter', () => {
  const cases: [string, string, string][] = [
    ['a far-future "to"', 'to=99999999999999999999', 'to'],
    ['a pre-1970 "from"', 'from=1969-12-31T23:59:59Z', 'from'],
    ['an infinite "from"', 'from=1e400', 'from'],
    ['"from" after "to"', 'from=now&to=now-1h', 'from'],
    ['a made-up cursor', `cursor=${Buffer.from('["x","y"]').toString('base64url')}`, 'cursor'],
    ['a non-numeric limit', 'limit=1e400', 'limit'],
    ['a q beyond the length limit', `q=${'x'.repeat(5000)}`, 'q'],
    ['an unknown level', `q=${encodeURIComponent('level:loud')}`, 'q'],
  ];
  for (const [what, query, field] of cases) {
    test(`${what} is refused`, async () => {
      const { status, body } = await get(`/api/v1/logs?${query}`);
      assert.equal(status, 400, JSON.stringify(body));
      assert.equal(body.error?.field, field);
    });
  }

  test('search-syntax abuse is a 400 with the position of the problem', async () => {
    const abuse: [string, number][] = [
      ['('.repeat(2000) + 'a' + ')'.repeat(2000), 32],
      [Array.from({ length: 400 }, () => 'a').join(' OR '), 1000],
      ['a "unbalanced', 2],
      ['a OR', 4],
      ['*a*', 0],
    ];
    for (const [q, position] of abuse) {
      const { status, body } = await get(`/api/v1/logs?q=${encodeURIComponent(q)}`);
      assert.equal(status, 400, q.slice(0, 40));
      assert.deepEqual(
        [body.error?.code, body.error?.field, body.error?.position],
        ['QUERY_SYNTAX', 'q', position],
        q.slice(0, 40),
      );
    }
  });

  test('far-back relative times and huge numeric comparisons are answered, not crashed on', async () => {
    const service = unique();
    await post('/api/v1/logs', [{ service, message: 'numbers', attributes: { n: 5 } }]);
    const res = await p.app.inject({
      method: 'GET',
      url: `/api/v1/logs?from=now-99999999999999999999w&service=${service}&q=${encodeURIComponent('n:<1e308 n:>-1.7976931348623157e308')}`,
    });
    assert.equal(res.statusCode, 200, res.body);
    assert.deepEqual(
      LogPage.parse(res.json()).records.map((r) => r.body),
      ['numbers'],
    );
  });

  test('SQL typed into the search box is searched for as text', async () => {
    const service = unique();
    await post('/api/v1/logs', [
      { service, message: "user ' OR 1=1 -- logged in" },
      { service, message: 'other' },
    ]);
    const res = await p.app.inject({
      method: 'GET',
      url: `/api/v1/logs?from=now-1h&service=${service}&q=${encodeURIComponent(`"' OR 1=1 --"`)}`,
    });
    assert.deepEqual(
      LogPage.parse(res.json()).records.map((r) => r.body),
      ["user ' OR 1=1 -- logged in"],
    );
  });
});
