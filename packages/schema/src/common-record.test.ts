import { test } from 'node:test';
import assert from 'node:assert/strict';
import fc from 'fast-check';
import { normalizeCommonRecord } from './common-record.ts';
import { LIMITS } from './limits.ts';
import { LogRecordInput, normalizeRecord, normalizeRecordReference, type NormalizeContext } from './log-record.ts';
import { LEVEL_SPELLINGS } from './severity.ts';
import { formatTimestamp } from './time.ts';

const receivedNs = 1_795_000_000_123_456_789n;
const contexts: NormalizeContext[] = [
  { tenant: 'acme', receivedNs, receivedText: formatTimestamp(receivedNs), newId: () => 'id-1' },
  { tenant: 'acme', receivedNs, newId: () => 'id-1' },
];

const pad = (n: number, width: number) => String(n).padStart(width, '0');
const text = fc.string({ unit: 'binary', maxLength: 12 });
const HUGE = 'x'.repeat(LIMITS.maxValueLength + 1);
const nest = (depth: number, leaf: unknown): unknown => (depth === 0 ? leaf : { n: nest(depth - 1, leaf) });
const odd = fc.oneof(
  fc.constantFrom(
    null,
    undefined,
    true,
    false,
    0,
    -1,
    Number.NaN,
    Number.POSITIVE_INFINITY,
    '',
    ' ',
    HUGE,
    [],
    {},
    [1, 'a'],
    { a: 1 },
  ),
  fc.double(),
  text,
  fc.integer({ min: 7, max: 13 }).map((d) => nest(d, 'leaf')),
);

// Valid RFC 3339 UTC text around the storable range, with 0–9 fraction digits; and near-misses.
const upTo = (max: number) => fc.integer({ min: 0, max });
const isoWith = (maxDigits: number) =>
  fc
    .tuple(
      fc.date({ min: new Date('1969-12-30T00:00:00Z'), max: new Date('2262-04-12T00:00:00Z'), noInvalidDate: true }),
      upTo(maxDigits),
      fc.nat(),
    )
    .map(
      ([d, digits, f]) => `${d.toISOString().slice(0, 19)}${digits === 0 ? '' : `.${pad(f, 10).slice(0, digits)}`}Z`,
    );
const isoText = isoWith(10);
const fieldsText = fc
  .tuple(fc.integer({ min: 1960, max: 2270 }), upTo(13), upTo(32), upTo(25), upTo(61), upTo(61))
  .map(([y, mo, d, h, mi, s]) => `${pad(y, 4)}-${pad(mo, 2)}-${pad(d, 2)}T${pad(h, 2)}:${pad(mi, 2)}:${pad(s, 2)}Z`);
const timestamp = fc.oneof(
  isoText,
  fieldsText,
  isoText.map((t) => t.replace('T', ' ')),
  isoText.map((t) => t.toLowerCase()),
  isoText.map((t) => `${t.slice(0, -1)}+02:00`),
  isoText.map((t) => ` ${t}`),
  fc.constantFrom(
    '2262-04-11T23:47:16.854775807Z',
    '2262-04-11T23:47:16.854775808Z',
    '2024-02-29T00:00:00Z',
    '2023-02-29T00:00:00Z',
  ),
  fc.constantFrom('2026-01-01T24:00:00Z', '2026-12-31T23:59:60Z', '1795000000123456789', 'yesterday'),
  fc.integer({ min: -1000, max: 10_000_000_000_000 }),
  fc.constantFrom(9_223_372_036_854, 9_223_372_036_855, 1e14, 1e17 + 1, Number.MAX_SAFE_INTEGER),
  fc.double({ min: 0, max: 2e13 }),
  odd,
);
const level = fc.oneof(
  fc.constantFrom(...LEVEL_SPELLINGS, 'WARNING', ' Err ', 'Warnung', 'loud', 'x'.repeat(65)),
  fc.integer({ min: -5, max: 70 }),
  odd,
);
const severityNumber = fc.oneof(fc.integer({ min: -2, max: 26 }), odd);
const hex = (length: number) =>
  fc.oneof(fc.stringMatching(new RegExp(`^[0-9a-f]{${length}}$`)), fc.stringMatching(/^[0-9a-fA-F]{15,33}$/), odd);
const key = fc.oneof(
  fc.constantFrom(
    'a',
    'b',
    'a.b',
    'http',
    '0',
    '1',
    '__proto__',
    'constructor',
    'toString',
    '',
    'service.name',
    'service',
    'message',
    'tenant',
    'k'.repeat(257),
  ),
  fc.string({ unit: 'binary', maxLength: 6 }),
);
const { value: attributeValue } = fc.letrec((tie) => ({
  value: fc.oneof(
    { depthSize: 'small', withCrossShrink: true },
    text,
    fc.integer(),
    fc.boolean(),
    fc.constant(null),
    fc.array(text, { maxLength: 3 }),
    tie('object'),
  ),
  object: fc.dictionary(key, tie('value'), { maxKeys: 4 }),
}));
const attributes = fc.oneof(
  fc.dictionary(key, attributeValue, { maxKeys: 6 }),
  fc.integer({ min: 9, max: 12 }).map((d) => nest(d, 1)),
  odd,
);
const wide = fc.constant(Object.fromEntries(Array.from({ length: LIMITS.maxAttributes + 1 }, (_, i) => [`k${i}`, i])));

/** An object with these own keys in this order ("__proto__" included as data, as JSON.parse makes it). */
const objectOf = (entries: [string, unknown][]) => {
  const raw: Record<string, unknown> = {};
  for (const [k, v] of entries)
    Object.defineProperty(raw, k, { value: v, enumerable: true, writable: true, configurable: true });
  return raw;
};

// Any subset of the known fields and aliases, mostly well-typed, plus extra top-level keys, in any order.
const fieldValues = {
  service: fc.oneof(
    fc.constantFrom('api', 'checkout', 's'.repeat(LIMITS.maxServiceLength), 's'.repeat(LIMITS.maxServiceLength + 1)),
    text,
    odd,
  ),
  message: fc.oneof(text, text, fc.jsonValue({ maxDepth: 3 }), odd),
  msg: fc.oneof(text, odd),
  body: fc.oneof(text, odd),
  timestamp,
  time: timestamp,
  observed_timestamp: timestamp,
  level,
  severity: level,
  severity_text: fc.oneof(fc.constantFrom('INFO', 'Warnung', 'x'.repeat(65)), odd),
  severity_number: severityNumber,
  attributes: fc.oneof(attributes, wide),
  resource: fc.oneof(attributes, fc.record({ service: fc.record({ name: fc.oneof(text, odd) }) })),
  trace_id: hex(32),
  span_id: hex(16),
  tenant: odd,
  id: odd,
};
const fields = fc.record(fieldValues, { requiredKeys: [] });
const anyRecord = fc
  .tuple(fields, fc.dictionary(key, attributeValue, { maxKeys: 4 }))
  .chain(([known, extra]) =>
    fc.shuffledSubarray([...Object.entries(extra), ...Object.entries(known)], { minLength: 0 }),
  )
  .map(objectOf);

// The shape most clients send, always within the limits: the fast path must take all of these.
const NOT_PLAIN = new Set([...Object.keys(LogRecordInput.shape), 'tenant', 'id', '__proto__']);
const plainKey = fc.stringMatching(/^[a-z_]{1,10}$/).filter((k) => !NOT_PLAIN.has(k));
const scalar = fc.oneof(
  fc.string({ unit: 'binary', maxLength: 20 }),
  fc.integer(),
  fc.boolean(),
  fc.double({ noNaN: true, noDefaultInfinity: true }),
);
const common = fc
  .record({
    service: fc.string({ unit: 'binary', minLength: 1, maxLength: 20 }),
    message: fc.string({ unit: 'binary', minLength: 1, maxLength: 80 }),
    level: fc.constantFrom(...LEVEL_SPELLINGS, 30, 50),
    timestamp: fc.oneof(
      isoWith(9).filter((t) => t >= '1970' && t < '2262'),
      fc.integer({ min: 0, max: 9_000_000_000_000 }),
    ),
    extra: fc.dictionary(plainKey, fc.oneof(scalar, fc.dictionary(plainKey, scalar, { maxKeys: 3 })), { maxKeys: 4 }),
    attributes: fc.dictionary(plainKey, scalar, { maxKeys: 4 }),
    resource: fc.dictionary(plainKey, fc.string({ maxLength: 10 }), { maxKeys: 3 }),
  })
  .map(({ extra, ...known }) => ({ ...extra, ...known }));

function sameAsReference(raw: unknown, ctx: NormalizeContext): void {
  const reference = normalizeRecordReference(raw, ctx);
  const result = normalizeRecord(raw, ctx);
  assert.deepStrictEqual(result, reference);
  // Key order decides the queued line's bytes, which deep equality does not compare.
  assert.equal(JSON.stringify(result), JSON.stringify(reference));
}

test('normalizeRecord gives the zod reference result, record or error, for generated valid, near-valid and hostile records', () => {
  fc.assert(fc.property(anyRecord, fc.constantFrom(...contexts), sameAsReference), { numRuns: 3000 });
});

// A common record with one to three fields changed to something odd, at the top level or inside a map.
const mutation = fc.oneof(
  ...Object.entries(fieldValues).map(([name, value]) => value.map((v): [string, string, unknown] => ['', name, v])),
  fc.tuple(fc.constant(''), key, attributeValue),
  fc.tuple(fc.constantFrom('attributes', 'resource'), key, attributeValue),
);
const nearValid = fc.tuple(common, fc.array(mutation, { minLength: 1, maxLength: 3 })).map(([raw, changes]) => {
  const entries: [string, unknown][] = Object.entries(raw);
  for (const [map, name, value] of changes) {
    if (map === '') entries.push([name, value]);
    else
      entries.push([
        map,
        objectOf([...Object.entries((raw as unknown as Record<string, object>)[map] ?? {}), [name, value]]),
      ]);
  }
  // A later entry for the same key replaces the earlier one, as the last duplicate key in JSON does.
  return objectOf(entries);
});

test('normalizeRecord gives the zod reference result for common records with a few fields made odd', () => {
  fc.assert(fc.property(nearValid, fc.constantFrom(...contexts), sameAsReference), { numRuns: 3000 });
});

test('normalizeRecord gives the zod reference result for any JSON value', () => {
  fc.assert(
    fc.property(fc.jsonValue({ maxDepth: 4, stringUnit: 'binary' }), fc.constantFrom(...contexts), sameAsReference),
    { numRuns: 500 },
  );
});

test('the common shape takes the fast path and gets the reference record', () => {
  fc.assert(
    fc.property(common, fc.constantFrom(...contexts), (raw, ctx) => {
      const fast = normalizeCommonRecord(raw, ctx);
      assert.ok(fast?.ok, 'the fast path took the record');
      assert.deepStrictEqual(fast, normalizeRecordReference(raw, ctx));
    }),
    { numRuns: 1000 },
  );
});

test('every field LogRecordInput declares is a field to the fast path too, not an attribute', () => {
  for (const field of [...Object.keys(LogRecordInput.shape), 'tenant', 'id']) {
    for (const value of ['zz', 7, { a: 1 }])
      sameAsReference({ service: 's', message: 'm', [field]: value }, contexts[0]!);
  }
});

test('records from JSON text with "__proto__" keys give the reference result', () => {
  for (const body of [
    '{"service":"s","message":"m","__proto__":{"service":"evil"}}',
    '{"service":"s","message":"m","attributes":{"__proto__":{"polluted":"yes"}}}',
    '{"service":"s","message":"m","x":1,"attributes":{"__proto__":"v"}}',
    '{"service":"s","message":"m","resource":{"__proto__":"v"}}',
  ]) {
    sameAsReference(JSON.parse(body), contexts[0]!);
    assert.equal(({} as Record<string, unknown>).polluted, undefined);
  }
});
