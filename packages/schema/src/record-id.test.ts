import assert from 'node:assert/strict';
import { test } from 'node:test';
import { createRecordIds, newRecordId } from './record-id.ts';

test('a record id is a UUIDv7 whose prefix is the creation millisecond', () => {
  const ms = Date.parse('2026-12-06T12:34:56.789Z');
  const id = newRecordId(ms);
  assert.match(id, /^[0-9a-f]{8}-[0-9a-f]{4}-7[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/);
  assert.equal(parseInt(id.replaceAll('-', '').slice(0, 12), 16), ms);
});

test('ids of the same millisecond share the prefix and the drawn bits, and count up in the last digits', () => {
  const next = createRecordIds();
  const ids = Array.from({ length: 5000 }, () => next(1_800_000_000_000));
  assert.equal(new Set(ids).size, ids.length);
  assert.equal(new Set(ids.map((id) => id.slice(0, 24))).size, 1);
  const counts = ids.map((id) => parseInt(id.slice(24), 16));
  for (let i = 1; i < counts.length; i++) assert.equal(counts[i], (counts[i - 1]! + 1) % 2 ** 48);
});

test('sources with different drawn bits never make the same id', () => {
  const bytes = (fill: number) => (n: number) => Buffer.alloc(n, fill);
  const [a, b] = [createRecordIds(bytes(0x11)), createRecordIds(bytes(0x12))];
  const ms = 1_800_000_000_000;
  const ids = new Set([...Array.from({ length: 1000 }, () => a(ms)), ...Array.from({ length: 1000 }, () => b(ms))]);
  assert.equal(ids.size, 2000);
  for (const id of ids) assert.match(id, /^[0-9a-f]{8}-[0-9a-f]{4}-7[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/);
});

test('the counter wraps at 48 bits within its 12 digits', () => {
  const next = createRecordIds((n) => Buffer.concat([Buffer.alloc(4), Buffer.alloc(n - 4, 0xff)]));
  assert.equal(next(0).slice(24), '000000000000');
  assert.equal(next(0).slice(24), '000000000001');
});

test('ids sort by their millisecond', () => {
  assert.ok(newRecordId(1_000) < newRecordId(2_000));
  assert.ok(newRecordId(0xfff_ffff_ffff) > newRecordId(0xfff_ffff_fffe));
});
