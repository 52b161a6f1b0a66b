import assert from 'node:assert/strict';
import { test } from 'node:test';
import { normalizeRecord, type LogRecord } from '@instant-logs/schema';
import { describeRejections, mapPush, serviceOf, toRecordInput } from './map.ts';

const ctx = { tenant: 't1', receivedNs: 1n, newId: () => 'id-1' };

/** The stored record for one entry of a stream, through the collector's real normaliser. */
function stored(labels: Record<string, string>, metadata: Record<string, unknown> = {}, line = 'hello'): LogRecord {
  const result = normalizeRecord(
    toRecordInput(labels, { timestampNs: 1_767_225_600_123_456_789n, line, metadata }),
    ctx,
  );
  assert.ok(result.ok, JSON.stringify(result));
  return result.record;
}

test('the service comes from the first of service_name, service, app, job and container', () => {
  const cases: Array<[Record<string, string>, string]> = [
    [{ service_name: 'a', service: 'b', app: 'c', job: 'd', container: 'e' }, 'a'],
    [{ service: 'b', app: 'c', job: 'd', container: 'e' }, 'b'],
    [{ app: 'c', job: 'd', container: 'e' }, 'c'],
    [{ job: 'd', container: 'e' }, 'd'],
    [{ container: 'e', env: 'prod' }, 'e'],
    [{ service_name: '', app: 'c' }, 'c'],
    [{ env: 'prod' }, 'unknown_service'],
    [{}, 'unknown_service'],
  ];
  for (const [labels, service] of cases) assert.equal(serviceOf(labels), service, JSON.stringify(labels));
});

test('the level comes from structured metadata first, then the level, detected_level and severity labels', () => {
  const cases: Array<[Record<string, string>, Record<string, unknown>, LogRecord['level'], string]> = [
    [{}, {}, 'info', 'INFO'],
    [{ level: 'error' }, {}, 'error', 'error'],
    [{ detected_level: 'warn' }, {}, 'warn', 'warn'],
    [{ severity: 'debug' }, {}, 'debug', 'debug'],
    [{ level: 'warning', detected_level: 'error' }, {}, 'warn', 'warning'],
    [{ level: 'critical' }, {}, 'fatal', 'critical'],
    [{ level: 'info' }, { level: 'error' }, 'error', 'error'],
    [{ level: 'info' }, { detected_level: 'debug' }, 'debug', 'debug'],
    [{ level: 'error' }, { level: 42 }, 'error', 'error'],
    [{ detected_level: 'unknown' }, {}, 'info', 'unknown'],
  ];
  for (const [labels, metadata, level, text] of cases) {
    const record = stored(labels, metadata);
    assert.equal(record.level, level, JSON.stringify([labels, metadata]));
    assert.equal(record.severity_text, text, JSON.stringify([labels, metadata]));
  }
});

test('labels become resource attributes, structured metadata attributes, the line the body and the time exact', () => {
  const record = stored({ app: 'shop', env: 'prod', level: 'warn' }, { trace: 'abc', user: 'u1' }, 'payment slow');
  assert.deepEqual(record.resource, { app: 'shop', env: 'prod', level: 'warn' });
  assert.deepEqual(record.attributes, { trace: 'abc', user: 'u1' });
  assert.equal(record.body, 'payment slow');
  assert.equal(record.service, 'shop');
  assert.equal(record.timestamp, '2026-01-01T00:00:00.123456789Z');
  assert.equal(record.tenant, 't1');
});

test('every entry becomes one item named after where it was in the request', () => {
  const { items, where } = mapPush({
    entriesKey: 'values',
    streams: [
      {
        labels: { app: 'a' },
        entries: [{ timestampNs: 1n, line: 'one', metadata: {} }, { error: { field: 'timestamp', message: 'bad' } }],
      },
      {
        error: { field: 'stream', message: 'broken labels' },
        entries: [{ timestampNs: 1n, line: 'lost', metadata: {} }],
      },
      { error: { field: 'values', message: 'not an array' }, entries: [] },
      {
        labels: { app: 'b' },
        entries: [
          { timestampNs: 1n, line: '', metadata: {} },
          { timestampNs: 10n ** 19n, line: 'far', metadata: {} },
        ],
      },
    ],
  });
  assert.deepEqual(where, [
    'streams[0].values[0]',
    'streams[0].values[1]',
    'streams[1].values[0]',
    'streams[2]',
    'streams[3].values[0]',
    'streams[3].values[1]',
  ]);
  assert.ok('record' in items[0]!);
  assert.deepEqual(
    items.slice(1).map((i) => ('error' in i ? i.error.field : 'record')),
    ['timestamp', 'stream', 'values', 'line', 'timestamp'],
  );
});

test('the rejection message names each rejected entry in Loki terms and counts the rest', () => {
  const where = ['streams[0].values[0]', 'streams[0].values[1]', 'streams[1].values[0]'];
  const message = describeRejections(
    3,
    2,
    [
      { index: 1, field: 'timestamp', message: 'must be a string of Unix epoch nanoseconds' },
      { index: 2, field: 'attributes.user', message: 'attribute key longer than 256 characters' },
    ],
    where,
  );
  assert.equal(
    message,
    '2 of 3 entries rejected: streams[0].values[1] timestamp: must be a string of Unix epoch nanoseconds; streams[1].values[0] structured_metadata.user: attribute key longer than 256 characters',
  );
  const many = describeRejections(
    50,
    20,
    Array.from({ length: 20 }, (_, i) => ({ index: i, field: 'line', message: 'must not be empty' })),
    [],
  );
  assert.match(
    many,
    /^20 of 50 entries rejected: entry 0 line: must not be empty; .*entry 9 line: must not be empty; and 10 more$/,
  );
});
