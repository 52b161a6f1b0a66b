import assert from 'node:assert/strict';
import { test } from 'node:test';
import { CodedError } from '@instant-logs/service-kit';
import { decodePushJson } from './json.ts';

const decode = (value: unknown) => decodePushJson(JSON.stringify(value));

test('a JSON push decodes into streams with labels, times, lines and structured metadata', () => {
  const push = decode({
    streams: [
      {
        stream: { app: 'api' },
        values: [
          ['1767225600123456789', 'GET /orders 200'],
          ['1767225601000000000', 'slow', { trace_id: 'abc' }],
        ],
      },
      { stream: {}, values: [] },
    ],
  });
  assert.deepEqual(push, {
    entriesKey: 'values',
    streams: [
      {
        labels: { app: 'api' },
        entries: [
          { timestampNs: 1_767_225_600_123_456_789n, line: 'GET /orders 200', metadata: {} },
          { timestampNs: 1_767_225_601_000_000_000n, line: 'slow', metadata: { trace_id: 'abc' } },
        ],
      },
      { labels: {}, entries: [] },
    ],
  });
});

test('bad entries carry their own problem and leave their neighbours decoded', () => {
  const cases: Array<[unknown, string, RegExp]> = [
    [
      [1767225600000000000, 'number time'],
      'timestamp',
      /must be a string of Unix epoch nanoseconds, got 1767225600000000000/,
    ],
    [['2026-01-01T00:00:00Z', 'rfc3339'], 'timestamp', /Unix epoch nanoseconds, got "2026-01-01T00:00:00Z"/],
    [['12345678901234567890', 'twenty digits'], 'timestamp', /Unix epoch nanoseconds/],
    [['1', 42], 'line', /must be a string/],
    [['1', 'x', 'meta'], 'structured_metadata', /must be an object/],
    [['1'], '(entry)', /must be \["<unix epoch ns>", "<line>"\]/],
    ['not an array', '(entry)', /must be \[/],
  ];
  for (const [bad, field, message] of cases) {
    const { streams } = decode({ streams: [{ stream: { a: 'b' }, values: [['1', 'good'], bad] }] });
    const [good, rejected] = streams[0]!.entries;
    assert.deepEqual(good, { timestampNs: 1n, line: 'good', metadata: {} });
    assert.ok(rejected && 'error' in rejected, JSON.stringify(bad));
    assert.equal(rejected.error.field, field);
    assert.match(rejected.error.message, message);
  }
});

test('bad labels mark their stream and keep its entries for reporting', () => {
  const cases: Array<[unknown, string, RegExp]> = [
    [{ app: 1 }, 'stream.app', /label values must be strings/],
    [{ 'service.name': 'x' }, 'stream', /label name "service.name" must match/],
    ['app=api', 'stream', /must be an object of label names/],
  ];
  for (const [labels, field, message] of cases) {
    const stream = decode({ streams: [{ stream: labels, values: [['1', 'x']] }] }).streams[0]!;
    assert.ok('error' in stream);
    assert.equal(stream.error.field, field);
    assert.match(stream.error.message, message);
    assert.equal(stream.entries.length, 1);
  }
});

test('a stream without values or that is not an object is a problem of its own', () => {
  const { streams } = decode({ streams: [{ stream: { a: 'b' } }, 'x', { stream: { a: 'c' }, values: [['1', 'ok']] }] });
  assert.deepEqual(streams[0], {
    error: { field: 'values', message: 'must be an array of ["<unix epoch ns>", "<line>"] entries' },
    entries: [],
  });
  assert.deepEqual(streams[1], {
    error: { field: '(stream)', message: 'must be an object with "stream" and "values"' },
    entries: [],
  });
  assert.deepEqual(streams[2], { labels: { a: 'c' }, entries: [{ timestampNs: 1n, line: 'ok', metadata: {} }] });
});

test('a body that is not a push request fails as a whole with a 400', () => {
  for (const [text, code] of [
    ['{"streams":', 'INVALID_JSON'],
    ['[]', 'INVALID_PUSH'],
    ['{"stream":[]}', 'INVALID_PUSH'],
    ['{"streams":{}}', 'INVALID_PUSH'],
  ]) {
    assert.throws(
      () => decodePushJson(text!),
      (err: unknown) => err instanceof CodedError && err.statusCode === 400 && err.code === code,
      text,
    );
  }
});
