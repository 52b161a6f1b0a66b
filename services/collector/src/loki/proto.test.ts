import assert from 'node:assert/strict';
import { test } from 'node:test';
import protobuf from 'protobufjs';
import { CodedError } from '@instant-logs/service-kit';
import { WireWriter } from '../otlp/wire.ts';
import { decodePushProto } from './proto.ts';

// Loki's push.proto messages, encoded by protobufjs: an encoder written by someone else.
const { root } = protobuf.parse(`
  syntax = "proto3";
  package logproto;
  message Timestamp { int64 seconds = 1; int32 nanos = 2; }
  message PushRequest { repeated StreamAdapter streams = 1; }
  message StreamAdapter { string labels = 1; repeated EntryAdapter entries = 2; uint64 hash = 3; }
  message EntryAdapter { Timestamp timestamp = 1; string line = 2; repeated LabelPairAdapter structuredMetadata = 3; }
  message LabelPairAdapter { string name = 1; string value = 2; }
`);
const PushRequest = root.lookupType('logproto.PushRequest');
const encode = (message: object) => PushRequest.encode(PushRequest.fromObject(message)).finish();

test('a PushRequest decodes into streams with labels, times, lines and structured metadata', () => {
  const bytes = encode({
    streams: [
      {
        labels: '{app="api", env="prod"}',
        hash: 42,
        entries: [
          {
            timestamp: { seconds: 1_767_225_600, nanos: 123_456_789 },
            line: 'GET /orders 200',
            structuredMetadata: [{ name: 'trace_id', value: 'abc' }],
          },
          { timestamp: { seconds: 1_767_225_601 }, line: 'GET /health 200' },
        ],
      },
      { labels: '{job="cron"}', entries: [{ timestamp: { seconds: 5, nanos: 1 }, line: 'tick' }] },
    ],
  });
  assert.deepEqual(decodePushProto(bytes), {
    entriesKey: 'entries',
    streams: [
      {
        labels: { app: 'api', env: 'prod' },
        entries: [
          { timestampNs: 1_767_225_600_123_456_789n, line: 'GET /orders 200', metadata: { trace_id: 'abc' } },
          { timestampNs: 1_767_225_601_000_000_000n, line: 'GET /health 200', metadata: {} },
        ],
      },
      { labels: { job: 'cron' }, entries: [{ timestampNs: 5_000_000_001n, line: 'tick', metadata: {} }] },
    ],
  });
});

test('a stream with a malformed selector keeps its entries but carries the labels problem', () => {
  const [stream] = decodePushProto(
    encode({ streams: [{ labels: '{app=api}', entries: [{ timestamp: { seconds: 1 }, line: 'x' }] }] }),
  ).streams;
  assert.ok(stream && 'error' in stream);
  assert.equal(stream.error.field, 'labels');
  assert.match(stream.error.message, /malformed label selector "\{app=api\}": expected a double-quoted value/);
  assert.equal(stream.entries.length, 1);
});

test('an entry without a timestamp or with a negative one is refused on its own', () => {
  const { streams } = decodePushProto(
    encode({
      streams: [
        {
          labels: '{a="b"}',
          entries: [
            { line: 'no time' },
            { timestamp: { seconds: -5 }, line: 'before 1970' },
            { timestamp: { seconds: 9 }, line: 'fine' },
          ],
        },
      ],
    }),
  );
  const entries = streams[0]!.entries;
  assert.deepEqual(entries[0], { error: { field: 'timestamp', message: 'is required' } });
  assert.ok('error' in entries[1]! && /at or after 1970/.test(entries[1].error.message));
  assert.deepEqual(entries[2], { timestampNs: 9_000_000_000n, line: 'fine', metadata: {} });
});

test('unknown fields at every level are skipped', () => {
  const entry = new WireWriter()
    .message(1, (t) => t.varint(1, 7).varint(9, 1))
    .string(2, 'line')
    .message(4, (p) => p.string(1, 'parsed'))
    .fixed32(15, 1);
  const bytes = new WireWriter()
    .message(1, (s) => s.string(1, '{a="b"}').bytes(2, entry.finish()).varint(3, 99n).double(8, 1.5))
    .string(7, 'future field')
    .finish();
  assert.deepEqual(decodePushProto(bytes).streams, [
    { labels: { a: 'b' }, entries: [{ timestampNs: 7_000_000_000n, line: 'line', metadata: {} }] },
  ]);
});

test('an empty body is a push with no streams', () => {
  assert.deepEqual(decodePushProto(new Uint8Array()), { entriesKey: 'entries', streams: [] });
});

test('broken protobuf fails the whole body with a 400 that says where', () => {
  const truncated = encode({ streams: [{ labels: '{a="b"}', entries: [{ line: 'x' }] }] }).subarray(0, 6);
  const wrongType = new WireWriter().varint(1, 5).finish();
  for (const bytes of [truncated, wrongType, Uint8Array.from([0xff, 0xff])]) {
    assert.throws(
      () => decodePushProto(bytes),
      (err: unknown) =>
        err instanceof CodedError &&
        err.statusCode === 400 &&
        err.code === 'INVALID_PROTOBUF' &&
        /^body is not a Loki PushRequest: invalid protobuf/.test(err.message),
    );
  }
});
