import { test } from 'node:test';
import assert from 'node:assert/strict';
import { normalizeRecord, type NormalizeResult } from './log-record.ts';
import { LIMITS } from './limits.ts';

const ctx = { tenant: 'acme', receivedNs: 1_795_000_000_123_456_789n, newId: () => 'id-1' };
const ok = (r: NormalizeResult) => {
  assert.ok(r.ok, `expected success, got ${JSON.stringify(!r.ok && r.error)}`);
  return r.record;
};
const err = (r: NormalizeResult) => {
  assert.ok(!r.ok, 'expected a rejection');
  return r.error;
};

test('a minimal record gets receive time, info level and the tenant from the context', () => {
  const r = ok(normalizeRecord({ service: 'api', message: 'hello' }, ctx));
  assert.equal(r.timestamp, '2026-11-18T11:06:40.123456789Z');
  assert.equal(r.observed_timestamp, r.timestamp);
  assert.equal(r.level, 'info');
  assert.equal(r.severity_number, 9);
  assert.equal(r.tenant, 'acme');
  assert.equal(r.id, 'id-1');
});

test('a tenant in the payload is ignored in favour of the credentials', () => {
  assert.equal(ok(normalizeRecord({ service: 'api', message: 'm', tenant: 'evil' }, ctx)).tenant, 'acme');
});

test('timestamps keep nanoseconds from RFC 3339 and read epoch numbers by magnitude', () => {
  const cases: [unknown, string][] = [
    ['2026-11-23T10:00:00.123456789Z', '2026-11-23T10:00:00.123456789Z'],
    ['2026-11-23T12:00:00.5+02:00', '2026-11-23T10:00:00.500000000Z'],
    [1_795_000_000_123, '2026-11-18T11:06:40.123000000Z'],
    ['1795000000123456789', '2026-11-18T11:06:40.123456789Z'],
    [1_795_000_000_123_456, '2026-11-18T11:06:40.123456000Z'],
  ];
  for (const [input, expected] of cases)
    assert.equal(
      ok(normalizeRecord({ service: 's', message: 'm', timestamp: input }, ctx)).timestamp,
      expected,
      String(input),
    );
});

test('pino-style time, msg and numeric level are understood', () => {
  const r = ok(
    normalizeRecord({ time: 1_795_000_000_000, msg: 'hi', level: 50, service: 'api', pid: 42, hostname: 'web-1' }, ctx),
  );
  assert.equal(r.level, 'error');
  assert.equal(r.body, 'hi');
  assert.deepEqual(r.attributes, { pid: '42', hostname: 'web-1' });
});

test('level names are case-insensitive and aliases normalise', () => {
  const cases: [string, string][] = [
    ['WARNING', 'warn'],
    ['Err', 'error'],
    ['critical', 'fatal'],
    ['dbg', 'debug'],
    ['notice', 'info'],
    ['TRACE', 'trace'],
  ];
  for (const [given, level] of cases) {
    const r = ok(normalizeRecord({ service: 's', message: 'm', level: given }, ctx));
    assert.equal(r.level, level, given);
    assert.equal(r.severity_text, given);
  }
});

test('an unknown severity text is kept when severity_number gives the level', () => {
  const r = ok(normalizeRecord({ service: 's', body: 'm', severity_text: 'Warnung', severity_number: 13 }, ctx));
  assert.equal(r.level, 'warn');
  assert.equal(r.severity_text, 'Warnung');
});

test('severity_number alone sets the level', () => {
  assert.equal(ok(normalizeRecord({ service: 's', body: 'm', severity_number: 18 }, ctx)).level, 'error');
});

test('nested attributes flatten to dotted keys with string values', () => {
  const r = ok(
    normalizeRecord(
      {
        service: 's',
        message: 'm',
        attributes: { http: { status: 500, route: '/x' }, ok: false, tags: ['a', 'b'], gone: null },
      },
      ctx,
    ),
  );
  assert.deepEqual(r.attributes, { 'http.status': '500', 'http.route': '/x', ok: 'false', tags: '["a","b"]' });
});

test('a __proto__ key is stored as data and does not touch the prototype', () => {
  const raw = JSON.parse('{"service":"s","message":"m","attributes":{"__proto__":{"polluted":"yes"}}}');
  const r = ok(normalizeRecord(raw, ctx));
  assert.equal(r.attributes['__proto__.polluted'], 'yes');
  assert.equal(({} as Record<string, unknown>)['polluted'], undefined);
});

test('service falls back to resource service.name', () => {
  assert.equal(
    ok(normalizeRecord({ message: 'm', resource: { service: { name: 'billing' } } }, ctx)).service,
    'billing',
  );
});

test('each invalid record names the field at fault', () => {
  const cases: [unknown, string][] = [
    [{ message: 'm' }, 'service'],
    [{ service: 's' }, 'message'],
    [{ service: 's', message: 'm', level: 'loud' }, 'level'],
    [{ service: 's', message: 'm', level: 99 }, 'level'],
    [{ service: 's', message: 'm', timestamp: 'yesterday' }, 'timestamp'],
    [{ service: 's', message: 'm', trace_id: 'xyz' }, 'trace_id'],
    [{ service: 's', message: 'm', span_id: 'ABCDEF0123456789' }, 'span_id'],
    [{ service: 's', message: 'm', attributes: 'nope' }, 'attributes'],
    [{ service: '', message: 'm' }, 'service'],
    ['just a string', '(record)'],
    [[1, 2], '(record)'],
  ];
  for (const [input, field] of cases)
    assert.equal(err(normalizeRecord(input, ctx)).field, field, JSON.stringify(input));
});

test('attribute count, key length and depth limits reject the record', () => {
  const many = Object.fromEntries(Array.from({ length: LIMITS.maxAttributes + 1 }, (_, i) => [`k${i}`, i]));
  assert.match(
    err(normalizeRecord({ service: 's', message: 'm', attributes: many }, ctx)).message,
    /more than 256 attributes/,
  );
  assert.match(
    err(normalizeRecord({ service: 's', message: 'm', attributes: { ['k'.repeat(300)]: 1 } }, ctx)).message,
    /longer than 256/,
  );
  let deep: Record<string, unknown> = { leaf: 1 };
  for (let i = 0; i < LIMITS.maxDepth + 1; i++) deep = { n: deep };
  const e = err(normalizeRecord({ service: 's', message: 'm', attributes: deep }, ctx));
  assert.match(e.message, /nesting deeper/);
  assert.ok(e.field.startsWith('attributes.n.n'));
});

test('non-string bodies are kept as JSON text', () => {
  assert.equal(
    ok(normalizeRecord({ service: 's', body: { event: 'login', ok: true } }, ctx)).body,
    '{"event":"login","ok":true}',
  );
});

test('a preformatted receive time gives the same record as formatting it per record', () => {
  const withText = { ...ctx, receivedText: '2026-11-18T11:06:40.123456789Z' };
  for (const raw of [
    { service: 's', message: 'm' },
    { service: 's', message: 'm', timestamp: '2026-11-23T10:00:00Z' },
  ]) {
    assert.deepEqual(normalizeRecord(raw, withText), normalizeRecord(raw, ctx));
  }
});
