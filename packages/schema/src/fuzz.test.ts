import { test } from 'node:test';
import assert from 'node:assert/strict';
import fc from 'fast-check';
import { LIMITS } from './limits.ts';
import { LogRecord, normalizeRecord } from './log-record.ts';

const ctx = { tenant: 'acme', receivedNs: 1_795_000_000_123_456_789n, newId: () => 'id-1' };
const KNOWN = [
  'service',
  'message',
  'msg',
  'body',
  'timestamp',
  'time',
  'observed_timestamp',
  'level',
  'severity',
  'severity_text',
  'severity_number',
  'attributes',
  'resource',
  'trace_id',
  'span_id',
  'tenant',
  'id',
];
const HOSTILE = [
  '__proto__',
  'constructor',
  'prototype',
  'toString',
  'hasOwnProperty',
  'service.name',
  '',
  "'; DROP TABLE logs; --",
];
// "binary" strings include lone surrogates, NUL and every control character.
const json = fc.jsonValue({ maxDepth: 4, stringUnit: 'binary' });
const hostileKey = fc.oneof(fc.constantFrom(...KNOWN, ...HOSTILE), fc.string({ unit: 'binary', maxLength: 8 }));
// JSON.parse makes "__proto__" an own key; fc.dictionary does the same, so both shapes reach normalizeRecord.
const hostileObject = fc.dictionary(hostileKey, json, { maxKeys: 8 });
const recordish = fc
  .record({ service: fc.string({ unit: 'binary', minLength: 1, maxLength: 8 }), message: json, extra: hostileObject })
  .map(({ service, message, extra }) => {
    const raw: Record<string, unknown> = {};
    for (const [k, v] of Object.entries({ service, message }))
      Object.defineProperty(raw, k, { value: v, enumerable: true, writable: true, configurable: true });
    for (const [k, v] of Object.entries(extra))
      Object.defineProperty(raw, k, { value: v, enumerable: true, writable: true, configurable: true });
    return raw;
  });

const wellFormed = (s: string) => s.isWellFormed();

/** Checks one outcome: a record that obeys the schema and the limits, or an error naming a field. */
function checkOutcome(raw: unknown): void {
  const result = normalizeRecord(raw, ctx);
  if (!result.ok) {
    assert.equal(typeof result.error.field, 'string');
    assert.ok(result.error.field.length > 0, 'an error names its field');
    assert.ok(result.error.message.length > 0, 'an error says why');
    return;
  }
  const record = LogRecord.parse(result.record);
  assert.equal(record.tenant, 'acme');
  assert.ok(record.service.length > 0 && record.service.length <= LIMITS.maxServiceLength);
  assert.ok(record.body.length > 0 && record.body.length <= LIMITS.maxValueLength);
  for (const map of [record.attributes, record.resource]) {
    assert.equal(Object.getPrototypeOf(map), Object.prototype);
    const keys = Object.keys(map);
    assert.ok(keys.length <= LIMITS.maxAttributes);
    for (const key of keys) {
      assert.ok(key.length > 0 && key.length <= LIMITS.maxKeyLength && wellFormed(key), `key ${JSON.stringify(key)}`);
      assert.ok(map[key]!.length <= LIMITS.maxValueLength && wellFormed(map[key]!));
    }
  }
  for (const text of [record.service, record.body, record.severity_text])
    assert.ok(wellFormed(text), `not well-formed: ${JSON.stringify(text)}`);
}

test('any JSON value normalises to a valid record or a per-record error naming a field', () => {
  fc.assert(fc.property(json, checkOutcome), { numRuns: 300 });
});

test('records with hostile keys normalise without throwing and change no prototype', () => {
  fc.assert(
    fc.property(recordish, (raw) => {
      checkOutcome(raw);
      assert.equal(({} as Record<string, unknown>).polluted, undefined);
      assert.equal(Object.getPrototypeOf({}), Object.prototype);
    }),
    { numRuns: 300 },
  );
});

test('records from JSON text with hostile keys keep "__proto__" as data', () => {
  const text = fc
    .tuple(hostileObject, fc.string({ unit: 'binary', minLength: 1, maxLength: 6 }))
    .map(([extra, service]) => {
      const fields = Object.entries(extra).map(([k, v]) => `${JSON.stringify(k)}:${JSON.stringify(v)}`);
      return `{"message":"m","service":${JSON.stringify(service)},"__proto__":{"polluted":"yes"}${fields.map((f) => `,${f}`).join('')}}`;
    });
  fc.assert(
    fc.property(text, (body) => {
      checkOutcome(JSON.parse(body));
      assert.equal(({} as Record<string, unknown>).polluted, undefined);
    }),
    { numRuns: 200 },
  );
});
