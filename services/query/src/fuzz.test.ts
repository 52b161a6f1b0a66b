import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import fc from 'fast-check';
import { startTestPipeline } from '../../embedded/src/test-pipeline.ts';
import type { EmbeddedPipeline } from '../../embedded/src/app.ts';

let p: EmbeddedPipeline;
before(async () => {
  p = await startTestPipeline({ logger: false });
  const records = [
    { service: 'api', level: 'error', message: "GET /orders 500 ' OR 1=1 --", attributes: { n: 5, tenant: 'x' } },
    { service: 'worker', message: 'done \u0000 ok', attributes: { n: 1e308 } },
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

const cursorOf = (value: unknown) => Buffer.from(JSON.stringify(value)).toString('base64url');
const text = fc.oneof(
  fc.string({ unit: 'binary', maxLength: 40 }),
  fc.constantFrom(
    '',
    ' ',
    'now',
    'now-15m',
    'now-99999999999999999999w',
    'now-1x',
    '0',
    '-1',
    '1e400',
    'NaN',
    'Infinity',
    '9223372036854775807',
    '99999999999999999999',
    '2262-04-12T00:00:00Z',
    '1969-12-31T23:59:59Z',
    '2026-02-30T00:00:00Z',
    "' OR 1=1 --",
    '%00',
    '{p0:String}',
  ),
  fc
    .array(
      fc.constantFrom(
        '(',
        ')',
        '"',
        '-',
        '*',
        ':',
        '>',
        '<=',
        'OR',
        'AND',
        'NOT',
        ' ',
        'a',
        'level',
        'service',
        'tenant',
        'id',
        'n',
        '1e308',
        "'",
        ';',
        '\\',
      ),
      { maxLength: 25 },
    )
    .map((a) => a.join('')),
);
const cursor = fc.oneof(
  text,
  fc
    .tuple(
      fc.constantFrom('0', '1', '9223372036854775807', '99999999999999999999', '-5', 'x'),
      fc.string({ maxLength: 70 }),
    )
    .map(cursorOf),
  fc.jsonValue({ maxDepth: 2 }).map(cursorOf),
);
const route = fc.constantFrom('/api/v1/logs', '/api/v1/logs/histogram', '/api/v1/facets');
// Each parameter is left out, given once or repeated (which Fastify turns into an array).
const param = <T>(arb: fc.Arbitrary<T>) =>
  fc.option(
    fc.oneof(
      arb.map((v) => [v]),
      fc.array(arb, { minLength: 2, maxLength: 3 }),
    ),
    { nil: undefined },
  );
const query = fc.record({
  q: param(text),
  from: param(text),
  to: param(text),
  limit: param(text),
  cursor: param(cursor),
  buckets: param(text),
  attribute: param(text),
  size: param(text),
  level: param(text),
  service: param(text),
});

test('arbitrary query parameters on the search, histogram and facets routes never get a 5xx', async () => {
  await fc.assert(
    fc.asyncProperty(route, query, async (path, params) => {
      const search = new URLSearchParams();
      for (const [name, values] of Object.entries(params))
        for (const v of values ?? []) search.append(name, v.toWellFormed());
      const res = await p.app.inject({ method: 'GET', url: `${path}?${search}` });
      assert.ok(res.statusCode < 500, `${path}?${search} answered ${res.statusCode}: ${res.body.slice(0, 300)}`);
      if (res.statusCode >= 400) {
        const error = (res.json() as { error?: { code?: unknown; position?: unknown } }).error;
        assert.equal(typeof error?.code, 'string', res.body);
        if (error?.code === 'QUERY_SYNTAX') assert.equal(typeof error.position, 'number', res.body);
      }
    }),
    { numRuns: 300 },
  );
});

test('raw percent-escapes that are not UTF-8 are a 4xx, not a crash', async () => {
  for (const raw of ['q=%ED%A0%80', 'q=%FF%FE', 'q=%', 'from=%C0%80', 'cursor=%00%00', 'q=a%00b']) {
    const res = await p.app.inject({ method: 'GET', url: `/api/v1/logs?${raw}` });
    assert.ok(res.statusCode < 500, `${raw} answered ${res.statusCode}: ${res.body}`);
  }
});
