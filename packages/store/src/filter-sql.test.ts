import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import fc from 'fast-check';
import { parseQuery, QuerySyntaxError } from '@instant-logs/query-language';
import { createChdbTransport } from './chdb-transport.ts';
import { compileSearch, ParamBag, requiresIdentifier, SearchCompileError } from './filter-sql.ts';
import { MESSAGE_WORDS, migrate } from './migrations.ts';
import type { ClickHouseTransport } from './transport.ts';

const compile = (q: string) => {
  const params = new ParamBag();
  return { sql: compileSearch(parseQuery(q), params), params: params.params };
};

// Everything the compiler may write itself; any other word in the SQL text came from the user.
const VOCABULARY = new Set(
  (
    "AND OR NOT LIKE true false 0 = > >= < <= '' body service level trace_id span_id attributes resource " +
    'lower hasToken hasAllTokens positionCaseInsensitiveUTF8 match startsWith has mapContains ifNull toFloat64OrNull'
  ).split(' '),
);
function foreignWords(sql: string): string[] {
  const bare = sql.replaceAll(MESSAGE_WORDS, ' ').replace(/\{p\d+:(?:String|Float64|Array\(String\))\}/g, ' ');
  return bare.split(/[\s(),[\]]+/).filter((w) => w !== '' && !VOCABULARY.has(w));
}

const HOSTILE = [
  `"'); DROP TABLE x; --"`,
  `"{p0:String}"`,
  `tpl:"{p0:String}) OR 1=1 OR ({p1:String}"`,
  `"\\\\' OR '1'='1"`,
  `a'b:"x\` ; SELECT 1"`,
  `'--:*`,
  `"%_\\\\"`,
  `x:"]) OR true --"`,
  `"naïve ' OR 1 --"`,
  `user-42';DROP*`,
  `n:>1e308`,
  `pattern:"'); DROP TABLE x; -- <NUM>"`,
  `-pattern:"<*>) OR 1=1 --"`,
];

describe('compileSearch (SQL text)', () => {
  for (const q of HOSTILE) {
    test(`keeps every value of ${q} out of the SQL text`, () => {
      const { sql, params } = compile(q);
      assert.deepEqual(foreignWords(sql), []);
      assert.doesNotMatch(sql, /DROP|SELECT|--|'1'/);
      assert.ok(Object.keys(params).length > 0);
    });
  }

  test('binds values verbatim, so the database sees exactly what was typed', () => {
    const { params } = compile(`q:"'); DROP TABLE x; --" tpl:"{p0:String}"`);
    assert.deepEqual(Object.values(params), ['q', "'); DROP TABLE x; --", 'tpl', '{p0:String}']);
  });

  test('writes only its own vocabulary for any parsable text', () => {
    const text = fc.string({
      unit: fc.constantFrom(
        'a',
        'é',
        ' ',
        ':',
        '"',
        "'",
        ';',
        '-',
        '*',
        '>',
        '(',
        ')',
        '{',
        '}',
        '\\',
        '%',
        'OR',
        'level',
        'n',
      ),
      maxLength: 40,
    });
    fc.assert(
      fc.property(text, (q) => {
        let sql: string;
        try {
          sql = compile(q).sql;
        } catch (err) {
          if (err instanceof QuerySyntaxError || err instanceof SearchCompileError) return;
          throw err;
        }
        assert.deepEqual(foreignWords(sql), []);
      }),
      { numRuns: 3000 },
    );
  });

  test('names parameters with the prefix it was given', () => {
    const params = new ParamBag('q');
    assert.equal(
      compileSearch(parseQuery('service:a level:info'), params),
      '(service = {q0:String} AND level = {q1:String})',
    );
    assert.deepEqual(params.params, { q0: 'a', q1: 'info' });
  });

  const refused: [string, string, RegExp][] = [
    ['level:loud', 'level', /Unknown level "loud"/],
    ['level:x*', 'level', /No level starts with "x"/],
    ['service:>5', 'service', /"service" holds text/],
    ['message:<1', 'message', /"message" holds text/],
    ['trace_id:>=1', 'trace_id', /"trace_id" holds text/],
  ];
  for (const [q, field, message] of refused) {
    test(`refuses ${q} naming the field ${field}`, () => {
      assert.throws(
        () => compile(q),
        (err: unknown) => err instanceof SearchCompileError && err.field === field && message.test(err.message),
      );
    });
  }

  test('refuses a parameter type that could break out of its placeholder', () => {
    const params = new ParamBag();
    for (const type of ["String'", 'String}', 'String:x', 'Array(String)} OR {x:String'])
      assert.throws(() => params.add('v', type), /Invalid parameter type/);
    assert.equal(params.add(['a'], 'Array(String)'), '{p0:Array(String)}');
  });

  test('refuses a pattern clause that is not a template', () => {
    for (const q of ['pattern:>5', 'pattern:GET*'])
      assert.throws(
        () => compile(q),
        (err: unknown) => err instanceof SearchCompileError && err.field === 'pattern',
        q,
      );
  });

  test('compiles a pattern to its words and its regular expression', () => {
    const { sql, params } = compile('pattern:"GET /items/<NUM> in <DURATION>"');
    assert.match(sql, /^\(hasAllTokens\(.+\) AND match\(body, \{p1:String\}\)\)$/);
    assert.deepEqual(params['p0'], ['get', 'items', 'in']);
    assert.equal(
      params['p1'],
      '^[\\t\\n\\v\\f\\r ]*GET[\\t\\n\\v\\f\\r ]+/items/-?[0-9]+(?:\\.[0-9]+)?' +
        '[\\t\\n\\v\\f\\r ]+in[\\t\\n\\v\\f\\r ]+[0-9]+(?:\\.[0-9]+)?(?:ns|us|µs|ms|s|m|h|d)[\\t\\n\\v\\f\\r ]*$',
    );
  });

  test('compiles a blank search to true', () => assert.equal(compileSearch(null, new ParamBag()), 'true'));
});

// ---- against chdb ------------------------------------------------------------------------------

const TRACE = '0af7651916cd43dd8448eb211c80319c';
const ROWS: {
  id: string;
  body: string;
  service?: string;
  level?: string;
  attributes?: Record<string, string>;
  resource?: Record<string, string>;
  trace_id?: string;
}[] = [
  {
    id: '01',
    body: 'Connection timeout after 5000 ms',
    service: 'checkout',
    level: 'error',
    attributes: { 'http.status_code': '504', duration_ms: '5000' },
  },
  {
    id: '02',
    body: 'connection TIMEOUTS are rising',
    service: 'checkout',
    level: 'warn',
    attributes: { duration_ms: '120' },
  },
  {
    id: '03',
    body: 'login failed for user-42 from 10.0.0.1',
    service: 'auth',
    level: 'warn',
    attributes: { user: 'u42', 'http.status_code': '401' },
  },
  { id: '04', body: 'login ok for user-420 from 10.0.0.12', service: 'auth', attributes: { user: 'u420' } },
  {
    id: '05',
    body: 'GET /api/v1/orders returned 200 in 35ms',
    service: 'payments',
    attributes: { 'http.status_code': '200', duration_ms: '35' },
  },
  {
    id: '06',
    body: 'POST /api/v2/orders returned 500',
    service: 'payments',
    level: 'error',
    attributes: { 'http.status_code': '500', duration_ms: '812.5' },
  },
  { id: '07', body: 'Café ÜBER naïve crème brûlée', service: 'menu' },
  { id: '08', body: 'user 42 logged out', service: 'auth', level: 'debug', attributes: { user: 'u42' } },
  { id: '09', body: 'retrying in 5s (attempt 3/5)', service: 'worker', level: 'warn', attributes: { attempt: '3' } },
  {
    id: '10',
    body: 'payment declined: insufficient funds',
    service: 'payments',
    level: 'error',
    attributes: { region: 'us-east-1' },
    resource: { region: 'eu-west-1' },
  },
  {
    id: '11',
    body: "SELECT * FROM users WHERE name = 'x'; DROP TABLE logs; --",
    service: 'api',
    level: 'debug',
    attributes: { q: "'); DROP TABLE x; --" },
  },
  { id: '12', body: 'template {p0:String} left unexpanded', service: 'api', attributes: { tpl: '{p0:String}' } },
  { id: '13', body: '100% done_ok with 50_50 split', service: 'batch' },
  { id: '14', body: 'Timeout', service: 'worker', level: 'fatal' },
  { id: '15', body: 'shutdown complete', service: 'worker', resource: { region: 'eu-west-1' }, trace_id: TRACE },
  {
    id: '16',
    body: 'first line\nsecond line: disk full',
    service: 'storage',
    level: 'error',
    attributes: { disk: '/dev/sda1' },
  },
  {
    id: '17',
    body: 'connection refused by upstream',
    service: 'checkout',
    level: 'error',
    attributes: { 'http.status_code': '502' },
  },
  { id: '18', body: 'upstream connection: refused', service: 'checkout', level: 'warn' },
  { id: '19', body: 'status=ok latency=n/a', service: 'api', attributes: { duration_ms: 'n/a' } },
  { id: '20', body: 'empty attribute here', service: 'api', attributes: { note: '' } },
];
const ALL = ROWS.map((r) => r.id);
const except = (...ids: string[]) => ALL.filter((id) => !ids.includes(id));

const MATCHES: [string, string[]][] = [
  ['timeout', ['01', '14']],
  ['TIMEOUT', ['01', '14']],
  ['timeout*', ['01', '02', '14']],
  ['imeout*', []],
  ['message:timeout', ['01', '14']],
  ['connection refused', ['17', '18']],
  ['"connection refused"', ['17']],
  ['"CONNECTION refused"', ['17']],
  ['-"connection refused" connection', ['01', '02', '18']],
  ['user-42', ['03', '04']],
  ['"user 42"', ['08']],
  ['10.0.0.12', ['04']],
  ['/api/v1', ['05']],
  ['/api/v*', ['05', '06']],
  ['"in 5s (attempt"', ['09']],
  ['"100%"', ['13']],
  ['"0_5"', ['13']],
  ['"e_o"', ['13']],
  ['"%"', ['13']],
  ['"0%5"', []],
  ['crème', ['07']],
  ['CRÈME über', ['07']],
  ['"disk full"', ['16']],
  ['timeout OR refused', ['01', '14', '17', '18']],
  ['(timeout OR refused) service:checkout', ['01', '17', '18']],
  [
    'NOT (service:auth OR service:payments OR service:checkout)',
    ['07', '09', '11', '12', '13', '14', '15', '16', '19', '20'],
  ],
  ['service:pay*', ['05', '06', '10']],
  ['service:"checkout"', ['01', '02', '17', '18']],
  ['level:WARNING', ['02', '03', '09', '18']],
  ['level:err -service:checkout', ['06', '10', '16']],
  ['level:critical OR level:dbg', ['08', '11', '14']],
  ['level:f*', ['14']],
  ['http.status_code:500', ['06']],
  ['attributes.http.status_code:5*', ['01', '06', '17']],
  ['http.status_code:>=500', ['01', '06', '17']],
  ['duration_ms:>100', ['01', '02', '06']],
  ['duration_ms:<=35', ['05']],
  ['-duration_ms:>100', except('01', '02', '06')],
  ['region:eu-west-1', ['10', '15']],
  ['resource.region:eu-west-1', ['10', '15']],
  ['attributes.region:eu-west-1', []],
  ['attributes.region:us-east-1', ['10']],
  ['user:u42 OR user:u420', ['03', '04', '08']],
  ['-user:u42', except('03', '08')],
  ['note:""', ['20']],
  ['note:*', ['20']],
  ['-note:*', except('20')],
  ['disk:/dev/sda1', ['16']],
  [`trace_id:${TRACE.toUpperCase()}`, ['15']],
  ['*', ALL],
  [`q:"'); DROP TABLE x; --"`, ['11']],
  [`"'); DROP TABLE x; --"`, []],
  ['"DROP TABLE logs; --"', ['11']],
  ['tpl:"{p0:String}"', ['12']],
  ['duration_ms:<1e308', ['01', '02', '05', '06']],
  ['duration_ms:>-1.7976931348623157e308 duration_ms:<9007199254740993', ['01', '02', '05', '06']],
  ['duration_ms:>1e21 OR duration_ms:<5e-324', []],
  ['"{p0:String}"', ['12']],
];

describe('requiresIdentifier', () => {
  const cases: [string, boolean][] = [
    ['req7f3a09c2b1d4e5f6', true],
    ['REQ7F3A09C2', true],
    ['"request req7f3a09c2 failed"', true],
    ['trace_id:4bf92f3577b34da6a3ce929d0e0e4736', true],
    ['user_id:u12345678', true],
    ['1733560000000', true],
    ['timeout req7f3a09c2', true],
    ['-error req7f3a09c2', true],
    ['req7f3a09c2 OR ord44556677', true],
    // Too short, no digit, or not required of every match.
    ['u123456', false],
    ['timeouts', false],
    ['completed', false],
    ['"status 500"', false],
    ['req7f3a09c2 OR timeout', false],
    ['-req7f3a09c2', false],
    ['req7f3a09c2*', false],
    ['duration_ms:>12345678', false],
    // Sort-key fields narrow the read already; a service name may hold digits.
    ['service:checkout20261207', false],
    ['', false],
  ];
  for (const [query, expected] of cases) {
    test(`${JSON.stringify(query)} → ${expected}`, () => {
      assert.equal(requiresIdentifier(parseQuery(query)), expected);
    });
  }
});

describe('compileSearch against chdb', () => {
  let dir: string;
  let store: ClickHouseTransport;
  const ids = async (q: string) => {
    const params = new ParamBag('q');
    const rows = await store.query<{ id: string }>(
      `SELECT id FROM t.logs WHERE tenant = {tenant:String} AND ${compileSearch(parseQuery(q), params)} ORDER BY id`,
      {
        tenant: 'acme',
        ...params.params,
      },
    );
    return rows.map((r) => r.id);
  };

  before(async () => {
    dir = await mkdtemp(join(tmpdir(), 'filter-sql-'));
    store = createChdbTransport({ path: dir });
    await migrate(store, 't');
    const now = new Date().toISOString();
    // Three inserts make three parts, so EXPLAIN can show the text index skipping some.
    for (const part of [ROWS.slice(0, 7), ROWS.slice(7, 14), ROWS.slice(14)]) {
      const lines = part.map((r) =>
        JSON.stringify({ tenant: 'acme', timestamp: now, observed_timestamp: now, level: 'info', ...r }),
      );
      await store.insertJsonEachRow('t.logs', lines.join('\n'));
    }
  });
  after(async () => {
    await store?.close();
    if (dir) await rm(dir, { recursive: true, force: true });
  });

  for (const [q, want] of MATCHES) {
    test(`${q} matches ${want.length === ALL.length ? 'every record' : `[${want.join(', ')}]`}`, async () =>
      assert.deepEqual(await ids(q), want));
  }

  test('leaves the table in place after the hostile queries', async () => {
    const [row] = await store.query<{ n: string }>('SELECT count() AS n FROM t.logs');
    assert.equal(Number(row?.n), ROWS.length);
  });

  test('answers words and phrases from the words index, tokens with digits from the bloom filter', async () => {
    const cases = [
      ['timeout', /Name: idx_words/],
      ['"connection refused by"', /Name: idx_words/],
      ['-timeout', /Name: idx_words/],
      ['42', /Name: idx_body_tokens/],
      [
        '"failed for user-42 from"',
        /Name: idx_words[\s\S]*Name: idx_body_tokens|Name: idx_body_tokens[\s\S]*Name: idx_words/,
      ],
    ] as const;
    for (const [q, index] of cases) {
      const params = new ParamBag();
      const plan = await store.query<{ explain: string }>(
        `EXPLAIN indexes = 1 SELECT id FROM t.logs WHERE ${compileSearch(parseQuery(q), params)}`,
        params.params,
      );
      assert.match(plan.map((r) => r.explain).join('\n'), index, q);
    }
  });
});
