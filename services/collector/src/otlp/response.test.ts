import assert from 'node:assert/strict';
import { test } from 'node:test';
import { encodeExportLogsResponse, encodeOtlpStatus } from './response.ts';
import { WireReader } from './wire.ts';

/** Reads ExportLogsServiceResponse.partial_success back with the wire reader. */
function partialSuccessOf(body: Buffer): { rejected?: bigint; message?: string } {
  const outer = new WireReader(body);
  assert.equal(outer.next(), 1);
  const inner = outer.message('partial_success');
  const out: { rejected?: bigint; message?: string } = {};
  while (!inner.done()) {
    if (inner.next() === 1) out.rejected = inner.int64('rejected_log_records');
    else out.message = inner.string('error_message');
  }
  assert.ok(outer.done());
  return out;
}

test('full success is an empty message in both encodings', () => {
  assert.deepEqual(encodeExportLogsResponse('application/x-protobuf'), {
    contentType: 'application/x-protobuf',
    body: Buffer.alloc(0),
  });
  assert.deepEqual(encodeExportLogsResponse('application/json', { rejectedLogRecords: 0 }), {
    contentType: 'application/json',
    body: Buffer.from('{}'),
  });
});

test('a partial success carries the rejected count and message in protobuf', () => {
  const { contentType, body } = encodeExportLogsResponse('application/x-protobuf', {
    rejectedLogRecords: 3,
    errorMessage: 'record 2: timestamp invalid',
  });
  assert.equal(contentType, 'application/x-protobuf');
  assert.deepEqual(partialSuccessOf(body), { rejected: 3n, message: 'record 2: timestamp invalid' });
});

test('a partial success in JSON writes int64 as a decimal string', () => {
  const { contentType, body } = encodeExportLogsResponse('application/json; charset=utf-8', {
    rejectedLogRecords: 2n ** 60n,
    errorMessage: 'too old',
  });
  assert.equal(contentType, 'application/json');
  assert.deepEqual(JSON.parse(body.toString()), {
    partialSuccess: { rejectedLogRecords: '1152921504606846976', errorMessage: 'too old' },
  });
});

test('a warning without rejections keeps only the message', () => {
  assert.deepEqual(
    partialSuccessOf(
      encodeExportLogsResponse('application/x-protobuf', { rejectedLogRecords: 0, errorMessage: 'slow down' }).body,
    ),
    { message: 'slow down' },
  );
  assert.deepEqual(
    JSON.parse(
      encodeExportLogsResponse('application/json', {
        rejectedLogRecords: 0,
        errorMessage: 'slow down',
      }).body.toString(),
    ),
    { partialSuccess: { errorMessage: 'slow down' } },
  );
});

test('an error status is google.rpc.Status, JSON only when the request was JSON', () => {
  assert.deepEqual(JSON.parse(encodeOtlpStatus('application/json', { code: 3, message: 'bad' }).body.toString()), {
    code: 3,
    message: 'bad',
  });
  for (const type of ['application/x-protobuf', 'text/plain']) {
    const { contentType, body } = encodeOtlpStatus(type, { code: 3, message: 'bad' });
    assert.equal(contentType, 'application/x-protobuf');
    const r = new WireReader(body);
    assert.equal(r.next(), 1);
    assert.equal(r.int32('code'), 3);
    assert.equal(r.next(), 2);
    assert.equal(r.string('message'), 'bad');
  }
});
