import assert from 'node:assert/strict';
import { test } from 'node:test';
import { OtlpDecodeError, decodeOtlpLogs, otlpEncodingOf } from './decode.ts';

test('content types are matched without case or parameters', () => {
  assert.equal(otlpEncodingOf('application/json'), 'json');
  assert.equal(otlpEncodingOf('Application/JSON; charset=utf-8'), 'json');
  assert.equal(otlpEncodingOf('application/x-protobuf'), 'protobuf');
  assert.equal(otlpEncodingOf('application/protobuf'), 'protobuf');
  assert.equal(otlpEncodingOf('application/x-ndjson'), undefined);
  assert.equal(otlpEncodingOf(undefined), undefined);
});

test('each encoding goes to its own decoder', () => {
  assert.deepEqual(decodeOtlpLogs(Buffer.from('{}'), 'application/json; charset=utf-8'), { records: [] });
  assert.deepEqual(decodeOtlpLogs(Buffer.alloc(0), 'application/x-protobuf'), { records: [] });
  // The same bytes are an empty JSON object but a broken protobuf message.
  assert.throws(() => decodeOtlpLogs(Buffer.from('{}'), 'application/x-protobuf'), OtlpDecodeError);
});

test('another content type is refused with 415', () => {
  assert.throws(
    () => decodeOtlpLogs(Buffer.from('{}'), 'text/plain'),
    (err: unknown) => {
      assert.ok(err instanceof OtlpDecodeError);
      assert.equal(err.statusCode, 415);
      assert.equal(err.code, 'OTLP_UNSUPPORTED_MEDIA_TYPE');
      assert.equal(err.field, 'Content-Type');
      return true;
    },
  );
});
