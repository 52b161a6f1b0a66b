import { test } from 'node:test';
import assert from 'node:assert/strict';
import { comparePositions, decodeCursor, encodeCursor, InvalidCursorError } from './cursor.ts';

const token = (value: unknown) => Buffer.from(JSON.stringify(value)).toString('base64url');

test('a cursor round-trips through its token', () => {
  assert.deepEqual(decodeCursor(encodeCursor({ ns: '1700000000000000000', id: 'abc' })), {
    ns: '1700000000000000000',
    id: 'abc',
  });
});

test('a cursor past the largest DateTime64(9) nanosecond is refused rather than wrapped', () => {
  assert.deepEqual(decodeCursor(token(['9223372036854775807', 'x'])), { ns: '9223372036854775807', id: 'x' });
  for (const ns of ['9223372036854775808', '99999999999999999999'])
    assert.throws(() => decodeCursor(token([ns, 'x'])), InvalidCursorError);
});

test('positions order by time, then by id as ClickHouse orders bytes; a made-up one is refused', () => {
  const at = (ns: string, id: string) => encodeCursor({ ns, id });
  assert.equal(comparePositions(at('9', 'z'), at('10', 'a')), -1);
  assert.equal(comparePositions(at('10', 'b'), at('10', 'a')), 1);
  assert.equal(comparePositions(at('10', 'a'), at('10', 'a')), 0);
  // JS string order puts U+E000 after an emoji (a surrogate pair, 0xD83D…); in UTF-8 bytes it comes first (EE < F0).
  assert.equal(comparePositions(at('1', '\u{E000}'), at('1', '\u{1F600}')), -1);
  assert.throws(() => comparePositions('nonsense', at('1', 'a')), InvalidCursorError);
});
