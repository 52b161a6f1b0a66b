import { test } from 'node:test';
import assert from 'node:assert/strict';
import fc from 'fast-check';
import type { LogRecord } from './log-record.ts';
import { arrayLines, parseQueuedLine, queuedLine, queuedLineService, readableQueuedLine } from './queued-line.ts';

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

test('a queued line is the record as one JSON array, with retention_days when the tenant has a retention', () => {
  assert.equal(
    queuedLine(record, 7),
    '["id-1","acme","2026-11-18T11:06:40.123456789Z","2026-11-18T11:06:40.123456789Z","api","info","INFO",9,"m",{"service":"inner"},{},"","",7]',
  );
  assert.deepEqual(parseQueuedLine(queuedLine(record)), record);
  assert.deepEqual(parseQueuedLine(queuedLine(record, 7)), { ...record, retention_days: 7 });
  assert.ok(!queuedLine({ ...record, body: 'two\nlines' }, 7).includes('\n'));
});

test('a line in the object form earlier versions queued reads as the same record', () => {
  const objectLine = JSON.stringify({ ...record, retention_days: 7 });
  assert.deepEqual(parseQueuedLine(objectLine), parseQueuedLine(queuedLine(record, 7)));
  assert.throws(() => parseQueuedLine('"a string"'), SyntaxError);
  assert.throws(() => parseQueuedLine('{"id":'), SyntaxError);
});

test('object lines among array lines become array lines; array lines come back untouched', () => {
  const arrays = `${queuedLine(record)}\n${queuedLine({ ...record, id: 'id-2' }, 3)}`;
  const buffer = Buffer.from(arrays);
  assert.equal(arrayLines(buffer), buffer);
  assert.equal(arrayLines(arrays), arrays);
  const mixed = [JSON.stringify(record), queuedLine(record, 3), JSON.stringify({ ...record, retention_days: 5 })];
  assert.deepEqual(String(arrayLines(Buffer.from(mixed.join('\n')))).split('\n'), [
    queuedLine(record),
    queuedLine(record, 3),
    queuedLine(record, 5),
  ]);
  // A broken line stays as it was, for the store to refuse and the writer to isolate.
  assert.equal(arrayLines(`{"id":\n${queuedLine(record)}`), `{"id":\n${queuedLine(record)}`);
});

test('a dead letter reads with named members', () => {
  assert.deepEqual(JSON.parse(readableQueuedLine(queuedLine(record, 7))), { ...record, retention_days: 7 });
  assert.equal(readableQueuedLine('not json'), 'not json');
});

test("the service of a queued line is its fifth member, or the object form's top-level service", () => {
  assert.equal(queuedLineService(queuedLine(record)), 'api');
  assert.equal(queuedLineService(queuedLine({ ...record, service: 'we"ird\\name' }, 30)), 'we"ird\\name');
  assert.equal(queuedLineService(JSON.stringify(record)), 'api');
  assert.equal(queuedLineService('["a", "b", "c", "d", "svc", "x"]'), 'svc');
  for (const line of ['[]', '["a","b","c","d"]', '["a","b","c","d",5]', '["a","b","c","d","sv', '["a" "b"]'])
    assert.equal(queuedLineService(line), undefined, line);
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
