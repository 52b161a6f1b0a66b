import assert from 'node:assert/strict';
import { test } from 'node:test';
import { LIMITS } from '@instant-logs/schema';
import { decodeJson, decodeNdjson } from './decode-body.ts';

// A CJK character is one UTF-16 unit and three UTF-8 bytes: these records differ only in bytes.
const cjk = (chars: number) => JSON.stringify({ service: 's', message: '日'.repeat(chars) });
const overInBytesOnly = cjk(Math.ceil(LIMITS.maxRecordBytes / 3) + 10);
const underInBytes = cjk(Math.floor(LIMITS.maxRecordBytes / 3) - 100);

test('the per-record limit counts UTF-8 bytes, not UTF-16 units, in NDJSON and JSON bodies', () => {
  assert.ok(
    overInBytesOnly.length < LIMITS.maxRecordBytes && Buffer.byteLength(overInBytesOnly) > LIMITS.maxRecordBytes,
  );
  for (const decode of [decodeNdjson, decodeJson]) {
    const [over] = decode(overInBytesOnly);
    assert.ok(over && 'error' in over && /exceeds/.test(over.error.message), decode.name);
    const [under] = decode(underInBytes);
    assert.ok(under && 'record' in under, decode.name);
  }
});
