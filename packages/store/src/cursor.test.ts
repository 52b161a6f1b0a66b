import { test } from 'node:test';
import assert from 'node:assert/strict';
import { decodeCursor, encodeCursor, InvalidCursorError } from './cursor.ts';

const token = (value: unknown) => Buffer.from(JSON.stringify(value)).toString('base64url');

test('a cursor round-trips through its token', () => {
  assert.deepEqual(decodeCursor(encodeCursor({ ns: '1700000000000000000', id: 'abc' })), { ns: '1700000000000000000', id: 'abc' });
});

test('a cursor past the largest DateTime64(9) nanosecond is refused rather than wrapped', () => {
  assert.deepEqual(decodeCursor(token(['9223372036854775807', 'x'])), { ns: '9223372036854775807', id: 'x' });
  for (const ns of ['9223372036854775808', '99999999999999999999']) assert.throws(() => decodeCursor(token([ns, 'x'])), InvalidCursorError);
});
