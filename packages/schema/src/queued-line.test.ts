import { test } from 'node:test';
import assert from 'node:assert/strict';
import fc from 'fast-check';
import type { LogRecord } from './log-record.ts';
import { queuedLine, queuedLineService } from './queued-line.ts';

const record: LogRecord = {
  id: 'id-1',
  tenant: 'acme',
  timestamp: '2026-11-18T11:06:40.123456789Z',
  observed_timestamp: '2026-11-18T11:06:40.123456789Z',
  service: 'api',
  level: 'info',
  severity_text: 'INFO',
  severity_number: 9,
  body: 'm',
  attributes: { service: 'inner' },
  resource: {},
  trace_id: '',
  span_id: '',
};

test('a queued line is the record as one JSON object, with retention_days when the tenant has a retention', () => {
  assert.deepEqual(JSON.parse(queuedLine(record)), record);
  assert.deepEqual(JSON.parse(queuedLine(record, 7)), { ...record, retention_days: 7 });
  assert.ok(!queuedLine(record, 7).includes('\n'));
});

test('the service of a queued line is its top-level service', () => {
  assert.equal(queuedLineService(queuedLine(record)), 'api');
  assert.equal(queuedLineService(queuedLine({ ...record, service: 'we"ird\\name' }, 30)), 'we"ird\\name');
});

const text = fc.string({ unit: 'binary', maxLength: 10 });
const otherKey = fc
  .oneof(
    fc.constantFrom('id', 'attributes', 'body', '__proto__', 'Service', 'service ', '"service"', 'servic\\e'),
    text,
  )
  .filter((k) => k !== 'service');
// Values that hide "service" where a search would find it: as a nested key and inside strings.
const decoy = fc.oneof(
  fc.jsonValue({ maxDepth: 3 }),
  text.map((s) => ({ service: s, nested: [{ service: s }] })),
  fc.constantFrom('"service":"decoy"', '\\', '\\"service\\":\\"decoy\\"', '{"service":"x"}', '[', '}'),
);

test('the service is found by structure, in any member order, past decoys, in compact or indented JSON', () => {
  fc.assert(
    fc.property(
      fc.array(fc.tuple(otherKey, decoy), { maxLength: 6 }),
      text,
      fc.nat(),
      fc.boolean(),
      (others, service, at, indent) => {
        const entries: [string, unknown][] = [...others];
        entries.splice(at % (entries.length + 1), 0, ['service', service]);
        const obj: Record<string, unknown> = {};
        // defineProperty keeps "__proto__" an own member, as JSON.parse would; a repeated key keeps its first place.
        for (const [k, v] of entries)
          Object.defineProperty(obj, k, { value: v, enumerable: true, writable: true, configurable: true });
        const line = JSON.stringify(obj, null, indent ? 2 : undefined);
        assert.equal(queuedLineService(line), JSON.parse(line).service);
      },
    ),
    { numRuns: 2000 },
  );
});

test('a line without a string service at the top level has none', () => {
  const lines = [
    '',
    'null',
    '[]',
    '{}',
    '{"attributes":{"service":"x"}}',
    '{"service":1}',
    '{"service":null}',
    '"service":"x"',
  ];
  for (const line of [...lines, '{"id":"a","service":"x', '{"id":"a" "service":"x"}']) {
    assert.equal(queuedLineService(line), undefined, line);
  }
});

test('an escaped spelling of the key is the same key', () => {
  assert.equal(queuedLineService('{"id":"a","servic\\u0065":"billing"}'), 'billing');
});
