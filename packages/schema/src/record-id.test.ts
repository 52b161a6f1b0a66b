import assert from 'node:assert/strict';
import { test } from 'node:test';
import { newRecordId } from './record-id.ts';

test('a record id is a UUIDv7 whose prefix is the creation millisecond', () => {
  const ms = Date.parse('2026-12-06T12:34:56.789Z');
  const id = newRecordId(ms);
  assert.match(id, /^[0-9a-f]{8}-[0-9a-f]{4}-7[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/);
  assert.equal(parseInt(id.replaceAll('-', '').slice(0, 12), 16), ms);
});

test('ids of the same millisecond share the prefix and still differ, across pool refills', () => {
  const ids = Array.from({ length: 5000 }, () => newRecordId(1_800_000_000_000));
  assert.equal(new Set(ids).size, ids.length);
  assert.equal(new Set(ids.map((id) => id.slice(0, 13))).size, 1);
  // The random part is spread over every hex digit, not stuck on a few values.
  assert.equal(new Set(ids.map((id) => id.at(-1))).size, 16);
  assert.deepEqual([...new Set(ids.map((id) => id[19]))].sort(), ['8', '9', 'a', 'b']);
});

test('ids sort by their millisecond', () => {
  assert.ok(newRecordId(1_000) < newRecordId(2_000));
  assert.ok(newRecordId(0xfff_ffff_ffff) > newRecordId(0xfff_ffff_fffe));
});
