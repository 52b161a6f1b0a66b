import { test } from 'node:test';
import assert from 'node:assert/strict';
import { LIMITS } from './limits.ts';
import { LogRecord, normalizeRecord, type NormalizeResult } from './log-record.ts';
import { parseTimeExpression, parseTimestamp } from './time.ts';

const ctx = { tenant: 'acme', receivedNs: 1_795_000_000_123_456_789n, newId: () => 'id-1' };
const normalize = (raw: unknown) => normalizeRecord(raw, ctx);
const ok = (r: NormalizeResult) => {
  assert.ok(r.ok, `expected success, got ${JSON.stringify(!r.ok && r.error)}`);
  return LogRecord.parse(r.record);
};
const refusedAt = (r: NormalizeResult, field: string | RegExp) => {
  assert.ok(!r.ok, 'expected a rejection');
  if (typeof field === 'string') assert.equal(r.error.field, field, r.error.message);
  else assert.match(r.error.field, field, r.error.message);
  return r.error.message;
};
const deep = (depth: number, leaf: unknown): unknown => {
  let v = leaf;
  for (let i = 0; i < depth; i++) v = [v];
  return v;
};

test('a body nested deeper than the stack is refused by depth instead of overflowing JSON.stringify', () => {
  const raw = JSON.parse(`{"service":"s","message":${'['.repeat(100_000)}1${']'.repeat(100_000)}}`);
  assert.match(refusedAt(normalize(raw), 'message'), /nesting deeper than 10/);
});

test('an array attribute nested too deep names its attribute path', () => {
  assert.match(
    refusedAt(normalize({ service: 's', msg: 'm', attributes: { a: { b: deep(50_000, 1) } } }), 'attributes.a.b'),
    /nesting/,
  );
});

test('a body array within the depth limit is kept as JSON text under the field it came in', () => {
  assert.equal(
    ok(normalize({ service: 's', body: deep(LIMITS.maxDepth - 1, 'x') })).body,
    `${'['.repeat(9)}"x"${']'.repeat(9)}`,
  );
  assert.equal(refusedAt(normalize({ service: 's', body: deep(LIMITS.maxDepth + 1, 'x') }), 'body').length > 0, true);
});

test('a string value longer than the value limit is refused, naming the field', () => {
  const long = 'x'.repeat(LIMITS.maxValueLength + 1);
  assert.match(refusedAt(normalize({ service: 's', message: long }), 'message'), /longer than/);
  assert.match(
    refusedAt(normalize({ service: 's', message: 'm', attributes: { big: long } }), 'attributes.big'),
    /longer than/,
  );
  assert.match(
    refusedAt(normalize({ service: 's', message: 'm', resource: { big: long } }), 'resource.big'),
    /longer than/,
  );
  assert.equal(ok(normalize({ service: 's', message: long.slice(1) })).body.length, LIMITS.maxValueLength);
});

test('a map with more attribute values than the limit is refused, counting flattened leaves', () => {
  const wide = Object.fromEntries(Array.from({ length: LIMITS.maxAttributes + 1 }, (_, i) => [`k${i}`, i]));
  assert.match(refusedAt(normalize({ service: 's', message: 'm', attributes: wide }), 'attributes'), /more than 256/);
  assert.match(
    refusedAt(normalize({ service: 's', message: 'm', resource: { n: wide } }), 'resource'),
    /more than 256/,
  );
});

test('a level or severity text longer than the limit is refused', () => {
  const long = 'W'.repeat(LIMITS.maxSeverityTextLength + 1);
  refusedAt(normalize({ service: 's', message: 'm', level: long }), 'level');
  refusedAt(normalize({ service: 's', message: 'm', severity_text: long, severity_number: 13 }), 'severity_text');
});

test('lone surrogates become U+FFFD in every text field, so the insert cannot be refused', () => {
  const r = ok(
    normalize({
      service: 'api\ud800',
      message: 'a\udc00b',
      severity_text: 'odd\ud800',
      severity_number: 9,
      attributes: { 'k\ud800': 'v\udfff' },
      resource: { r: '\ud834' },
    }),
  );
  assert.equal(r.service, 'api\ufffd');
  assert.equal(r.body, 'a\ufffdb');
  assert.equal(r.severity_text, 'odd\ufffd');
  assert.deepEqual(r.attributes, { 'k\ufffd': 'v\ufffd' });
  assert.deepEqual(r.resource, { r: '\ufffd' });
  assert.equal(ok(normalize({ service: 's', message: '\ud83d\ude00 pair' })).body, '😀 pair');
});

test('NUL and control characters are stored as they came, in body, keys and values', () => {
  const r = ok(
    normalize({
      service: 's\u0001',
      message: 'a\u0000b\r\n\u001b[31m',
      attributes: { 'k\u0000': 'v\u0000\n', '\u2028': '\u0007' },
    }),
  );
  assert.equal(r.service, 's\u0001');
  assert.equal(r.body, 'a\u0000b\r\n\u001b[31m');
  assert.deepEqual(r.attributes, { 'k\u0000': 'v\u0000\n', '\u2028': '\u0007' });
});

/* eslint-disable no-loss-of-precision -- these tests send numbers that lose precision on purpose */
test('timestamps outside what DateTime64(9) holds are refused rather than wrapped', () => {
  for (const timestamp of [
    18446744073709551617,
    2 ** 64 + 1,
    '99999999999999999999',
    99_999_999_999_999,
    '9999-12-31T23:59:59Z',
    '2262-04-11T23:47:16.854775808Z',
    '1969-12-31T23:59:59Z',
    1e400,
    '1e400',
    '1'.repeat(400),
  ]) {
    refusedAt(normalize({ service: 's', message: 'm', timestamp }), 'timestamp');
  }
  refusedAt(normalize({ service: 's', message: 'm', observed_timestamp: '9223372036854775808' }), 'observed_timestamp');
  assert.equal(
    ok(normalize({ service: 's', message: 'm', timestamp: '9223372036854775807' })).timestamp,
    '2262-04-11T23:47:16.854775807Z',
  );
  assert.equal(ok(normalize({ service: 's', message: 'm', time: -0 })).timestamp, '1970-01-01T00:00:00.000000000Z');
});

test('huge and odd numbers in level and attributes are refused or stored as text', () => {
  refusedAt(normalize({ service: 's', message: 'm', level: 1e400 }), 'level');
  refusedAt(normalize({ service: 's', message: 'm', level: 2 ** 64 + 1 }), 'level');
  refusedAt(normalize({ service: 's', message: 'm', level: -0 }), 'level');
  refusedAt(normalize({ service: 's', message: 'm', severity_number: 1e400 }), 'severity_number');
  const r = ok(
    normalize({
      service: 's',
      message: 'm',
      attributes: { inf: 1e400, big: 2 ** 64 + 1, neg: -0, digits: Number('9'.repeat(400)) },
    }),
  );
  assert.deepEqual(r.attributes, { inf: 'Infinity', big: '18446744073709552000', neg: '0', digits: 'Infinity' });
});

test('prototype keys at every level are stored as plain data and change no prototype', () => {
  const raw = JSON.parse(
    '{"service":"s","message":"m","__proto__":{"polluted":1,"service":"evil"},"constructor":{"prototype":{"polluted":2}},' +
      '"prototype":"p","attributes":{"__proto__":{"polluted":3},"a":{"__proto__":"x","constructor":"y"}},"resource":{"__proto__":{"service.name":"r"}}}',
  );
  const r = ok(normalize(raw));
  assert.equal(r.service, 's');
  // attributes.__proto__ replaces the top-level __proto__ whole, as any explicit attribute does.
  assert.deepEqual(Object.keys(r.attributes).sort(), [
    '__proto__.polluted',
    'a.__proto__',
    'a.constructor',
    'constructor.prototype.polluted',
    'prototype',
  ]);
  assert.equal(r.attributes['__proto__.polluted'], '3');
  assert.equal(r.resource['__proto__.service.name'], 'r');
  assert.equal(Object.getPrototypeOf(r.attributes), Object.prototype);
  assert.equal(({} as Record<string, unknown>).polluted, undefined);
});

test('a service named only through a prototype key is still missing', () => {
  refusedAt(
    normalize(
      JSON.parse('{"message":"m","__proto__":{"service":"evil"},"resource":{"__proto__":{"service.name":"x"}}}'),
    ),
    'service',
  );
});

test('SQL fragments in every string field are kept verbatim', () => {
  const sql = "'); DROP TABLE logs; -- {p0:String} \\' OR 1=1";
  const r = ok(
    normalize({
      service: sql,
      message: sql,
      severity_text: 'x',
      severity_number: 9,
      attributes: { [sql]: sql },
      resource: { k: sql },
    }),
  );
  assert.equal(r.service, sql);
  assert.equal(r.body, sql);
  assert.equal(r.attributes[sql], sql);
  assert.equal(r.resource.k, sql);
});

test('query time expressions never overflow: far back reads as 1970, far ahead is refused', () => {
  const now = Date.parse('2026-11-23T12:00:00Z');
  assert.equal(parseTimeExpression(`now-${'9'.repeat(400)}w`, now), 0n);
  assert.equal(parseTimeExpression('now-99999999999w', now), 0n);
  assert.equal(parseTimeExpression('99999999999999999999', now), undefined);
  assert.equal(parseTimeExpression('1e400', now), undefined);
  assert.equal(parseTimestamp(Number.MAX_VALUE), undefined);
  assert.equal(parseTimestamp(2n ** 70n), undefined);
});
