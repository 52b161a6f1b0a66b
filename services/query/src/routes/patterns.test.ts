import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import fc from 'fast-check';
import { templateRegex } from '@instant-logs/query-language';
import { LogPage, Patterns } from '@instant-logs/schema';
import { eventually, startTestPipeline } from '../../../embedded/src/test-pipeline.ts';
import type { EmbeddedPipeline } from '../../../embedded/src/app.ts';

const KEY_A = 'patterns-tenant-a-0001';
const KEY_B = 'patterns-tenant-b-0001';
const KEY_C = 'patterns-tenant-c-0001';
const fits = (template: string, message: string) => new RegExp(templateRegex(template), 'u').test(message);

describe('GET /api/v1/patterns on the embedded pipeline', () => {
  let p: EmbeddedPipeline;
  const t0 = Date.now() - 30 * 60_000;
  const at = (i: number) => new Date(t0 + i * 1000).toISOString();

  const send = async (key: string, records: object[]) => {
    const res = await p.app.inject({
      method: 'POST',
      url: '/api/v1/logs',
      payload: records,
      headers: { 'content-type': 'application/json', authorization: `Bearer ${key}` },
    });
    assert.equal(res.statusCode, 202, res.body);
    assert.equal(res.json().rejected, 0, res.body);
  };
  const get = (key: string, url: string) => p.app.inject({ url, headers: { authorization: `Bearer ${key}` } });
  const patterns = async (key: string, params = '') => {
    const res = await get(key, `/api/v1/patterns?from=now-1h${params}`);
    assert.equal(res.statusCode, 200, res.body);
    return Patterns.parse(res.json());
  };
  const search = async (key: string, q: string) => {
    const res = await get(key, `/api/v1/logs?from=now-1h&limit=1000&q=${encodeURIComponent(q)}`);
    assert.equal(res.statusCode, 200, res.body);
    return LogPage.parse(res.json()).records;
  };

  // a: three shapes, 45 records; b: messages that would join a's templates, and one a never has.
  const A = 45;
  const generated = fc
    .sample(
      fc.array(
        fc.oneof(
          fc.constantFrom('GET', '/api/items/', 'user', 'in', 'ms', 'x=', '"', 'é', '<NUM>', '(', ':'),
          fc.integer({ min: -999, max: 99999 }).map(String),
          fc.uuid(),
          fc.ipV4(),
          fc.stringMatching(/^[0-9]{1,3}(ms|s)$/),
          fc.stringMatching(/^[a-z]{1,3}[0-9]{1,3}$/),
          fc.string({ maxLength: 5 }).map((s) => `"${s.replaceAll('"', '')}"`),
          fc.string({ maxLength: 4 }),
        ),
        { minLength: 1, maxLength: 6 },
      ),
      { numRuns: 150, seed: 13 },
    )
    .map((parts) => parts.join(' '))
    // A record needs a message that is not blank.
    .filter((m) => m.trim() !== '');

  before(async () => {
    p = await startTestPipeline({ apiKeys: `${KEY_A}:a,${KEY_B}:b,${KEY_C}:c` });
    await send(KEY_A, [
      ...Array.from({ length: 30 }, (_, i) => ({
        timestamp: at(i),
        service: 'api',
        level: i % 10 === 0 ? 'warn' : 'info',
        message: `GET /api/items/${i * 7} 200 in ${i % 13} ms`,
      })),
      ...Array.from({ length: 10 }, (_, i) => ({
        timestamp: at(100 + i),
        service: 'payments',
        level: 'error',
        message: `payment declined for user-${1000 + i}: card expired`,
      })),
      ...Array.from({ length: 5 }, (_, i) => ({ timestamp: at(200 + i), service: 'cache', message: 'cache warmed' })),
    ]);
    await send(KEY_B, [
      ...Array.from({ length: 20 }, (_, i) => ({
        timestamp: at(i),
        service: 'api',
        message: `GET /api/items/${i} 500 in ${i} ms`,
      })),
      { timestamp: at(300), service: 'api', message: 'tenant b only secret 42' },
    ]);
    await send(
      KEY_C,
      generated.map((message, i) => ({ timestamp: at(i), service: 'gen', message })),
    );
    await eventually(async () => ((await patterns(KEY_A)).total === A ? true : undefined), 20_000, "a's records");
    await eventually(
      async () => ((await patterns(KEY_C)).total === generated.length ? true : undefined),
      20_000,
      "c's records",
    );
  });
  after(() => p.close());

  test("the tenant's messages group into their templates with counts, levels, sparkline and example", async () => {
    const answer = await patterns(KEY_A, '&buckets=10');
    assert.equal(answer.total, A);
    assert.equal(answer.sampled, A);
    assert.equal(answer.other, 0);
    const byTemplate = Object.fromEntries(answer.patterns.map((x) => [x.template, x]));
    assert.deepEqual(
      answer.patterns.map((x) => [x.template, x.count]),
      [
        ['GET /api/items/<NUM> <NUM> in <NUM> ms', 30],
        ['payment declined for user-<NUM>: card expired', 10],
        ['cache warmed', 5],
      ],
    );
    const get = byTemplate['GET /api/items/<NUM> <NUM> in <NUM> ms']!;
    assert.deepEqual(get.levels, { trace: 0, debug: 0, info: 27, warn: 3, error: 0, fatal: 0 });
    assert.equal(get.share, 30 / A);
    assert.equal(get.estimated_total, 30);
    assert.equal(get.sparkline.length, 10);
    assert.equal(
      get.sparkline.reduce((a, b) => a + b, 0),
      30,
    );
    assert.equal(get.example, 'GET /api/items/203 200 in 3 ms');
    assert.equal(get.query, 'pattern:"GET /api/items/<NUM> <NUM> in <NUM> ms"');
    assert.match(get.id, /^[0-9a-f]{16}$/);
    // The id is the template's: the same in every answer.
    assert.equal((await patterns(KEY_A, '&sample=5')).patterns[0]!.id, byTemplate['cache warmed']!.id);
  });

  test("another tenant's messages never appear, whatever the filter", async () => {
    for (const params of ['', '&q=secret', '&q=*', '&q=GET', '&service=api', '&q=tenant:b']) {
      const answer = await patterns(KEY_A, params);
      for (const x of answer.patterns) {
        assert.doesNotMatch(x.example, /secret|500/, params);
        assert.doesNotMatch(x.template, /secret/, params);
      }
      assert.ok(answer.total <= A, params);
    }
    const b = await patterns(KEY_B);
    assert.equal(b.total, 21);
    assert.deepEqual(
      b.patterns.map((x) => [x.template, x.count]),
      [
        ['GET /api/items/<NUM> <NUM> in <NUM> ms', 20],
        ['tenant b only secret <NUM>', 1],
      ],
    );
  });

  test('filters narrow the patterns as they narrow a search', async () => {
    const answer = await patterns(KEY_A, '&level=error&service=payments');
    assert.deepEqual(
      answer.patterns.map((x) => x.count),
      [10],
    );
    assert.equal((await patterns(KEY_A, `&q=${encodeURIComponent('-cache')}`)).total, 40);
  });

  test('a sample smaller than the matches says so: sampled, total, the newest records and their start', async () => {
    const answer = await patterns(KEY_A, '&sample=8');
    assert.equal(answer.total, A);
    assert.equal(answer.sampled, 8);
    // The newest 8: the 5 cache lines and the 3 newest payment lines.
    assert.deepEqual(
      answer.patterns.map((x) => [x.template, x.count, x.estimated_total]),
      [
        ['cache warmed', 5, Math.round((5 / 8) * A)],
        ['payment declined for user-<NUM>: card expired', 3, Math.round((3 / 8) * A)],
      ],
    );
    assert.equal(answer.sample_from, at(107).replace(/\.(\d{3})Z$/, '.$1000000Z'));
    assert.equal(answer.sparkline.from, at(107));
    const limited = await patterns(KEY_A, '&limit=1');
    assert.equal(limited.patterns.length, 1);
    assert.equal(limited.other, 15);
  });

  test('a pattern\'s query selects exactly its messages, and "-" in front excludes exactly them', async () => {
    const answer = await patterns(KEY_A);
    for (const x of answer.patterns) {
      const only = await search(KEY_A, x.query!);
      assert.equal(only.length, x.count, x.template);
      for (const r of only) assert.ok(fits(x.template, r.body), `${r.body} !~ ${x.template}`);
      const rest = await search(KEY_A, `-${x.query}`);
      assert.equal(rest.length, A - x.count, x.template);
      assert.ok(rest.every((r) => !fits(x.template, r.body)));
    }
  });

  test('on generated messages, ClickHouse selects by a template exactly the messages JavaScript matches', async () => {
    const stored = await search(KEY_C, '');
    assert.equal(stored.length, generated.length);
    const answer = await patterns(KEY_C, '&limit=500');
    assert.equal(
      answer.patterns.reduce((n, x) => n + x.count, 0),
      generated.length,
    );
    for (const x of answer.patterns) {
      const expected = stored
        .filter((r) => fits(x.template, r.body))
        .map((r) => r.id)
        .sort();
      const selected = (await search(KEY_C, x.query!)).map((r) => r.id).sort();
      assert.deepEqual(selected, expected, x.template);
      assert.ok(selected.length >= x.count, x.template);
    }
  });

  test('bad parameters are 400s naming the field', async () => {
    const cases: [string, string, string][] = [
      ['sample=0', 'QUERY_BAD_REQUEST', 'sample'],
      ['sample=50001', 'QUERY_BAD_REQUEST', 'sample'],
      ['limit=many', 'QUERY_BAD_REQUEST', 'limit'],
      ['buckets=121', 'QUERY_BAD_REQUEST', 'buckets'],
      ['level=loud', 'QUERY_BAD_REQUEST', 'level'],
      ['from=yesterday', 'QUERY_INVALID_TIME', 'from'],
      ['from=now&to=now-1h', 'QUERY_TIME_RANGE_REVERSED', 'from'],
      [`q=${encodeURIComponent('service:(')}`, 'QUERY_SYNTAX', 'q'],
      [`q=${encodeURIComponent('pattern:>5')}`, 'QUERY_INVALID_CLAUSE', 'q'],
    ];
    for (const [params, code, field] of cases) {
      const res = await get(KEY_A, `/api/v1/patterns?${params}`);
      assert.equal(res.statusCode, 400, `${params}: ${res.body}`);
      const { error } = res.json() as { error: { code: string; field: string; message: string } };
      assert.equal(error.code, code, params);
      assert.equal(error.field, field, params);
      assert.ok(error.message.length > 0);
    }
  });

  test('a key without the query scope is refused', async () => {
    const res = await p.app.inject({ url: '/api/v1/patterns' });
    assert.equal(res.statusCode, 401);
  });
});
