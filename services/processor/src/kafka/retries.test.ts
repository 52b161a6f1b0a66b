import { test } from 'node:test';
import assert from 'node:assert/strict';
import type { SourceMessage } from './batches.ts';
import { sortRetries, type StoredPart } from './retries.ts';

const msg = (offset: number, key?: string, digest = 'd1', part = '0/1', tenant = 'acme'): SourceMessage => ({
  offset: BigInt(offset),
  value: Buffer.from(`line-${offset}`),
  rows: 2,
  tenant,
  ...(key ? { idempotency: { key, digest, part } } : {}),
});
const sourceOf = (m: SourceMessage) => `logs/0/${m.offset}`;
const stored = (key: string, offset: number, digest = 'd1', part = '0/1'): StoredPart => ({
  tenant: 'acme',
  key,
  digest,
  part,
  source: `logs/0/${offset}`,
});
const offsets = (ms: readonly SourceMessage[]) => ms.map((m) => Number(m.offset));

test('messages without a key are all kept and nothing is remembered', () => {
  const sorted = sortRetries([msg(1), msg(2)], [], sourceOf);
  assert.deepEqual(offsets(sorted.kept), [1, 2]);
  assert.deepEqual(sorted.remember, []);
});

test('a part stored from another message is a retry; a part seen earlier in the batch too', () => {
  const sorted = sortRetries([msg(5, 'k1'), msg(6, 'k2'), msg(7, 'k2'), msg(8)], [stored('k1', 2)], sourceOf);
  assert.deepEqual(offsets(sorted.kept), [6, 8]);
  assert.deepEqual(offsets(sorted.retries), [5, 7]);
  assert.deepEqual(sorted.remember, [stored('k2', 6)]);
});

test('the parts of one request are kept apart, and only the parts already stored are skipped', () => {
  const batch = [msg(5, 'k1', 'd1', '0/2'), msg(6, 'k1', 'd1', '1/2')];
  assert.deepEqual(offsets(sortRetries(batch, [], sourceOf).kept), [5, 6]);
  const sorted = sortRetries(batch, [stored('k1', 2, 'd1', '0/2')], sourceOf);
  assert.deepEqual([offsets(sorted.kept), offsets(sorted.retries)], [[6], [5]]);
});

test('a replay of the message a part was stored from is kept, so it inserts what the first try did', () => {
  const sorted = sortRetries([msg(5, 'k1'), msg(7, 'k1')], [stored('k1', 5)], sourceOf);
  assert.deepEqual([offsets(sorted.kept), offsets(sorted.retries)], [[5], [7]]);
  assert.deepEqual(sorted.remember, [], 'its part is remembered already');
});

test('the same key with another body is kept and reported, in the batch or against what is stored', () => {
  const sorted = sortRetries([msg(5, 'k1', 'd2'), msg(6, 'k3', 'd1'), msg(7, 'k3', 'd9')], [stored('k1', 2)], sourceOf);
  assert.deepEqual(offsets(sorted.kept), [5, 6, 7]);
  assert.deepEqual(offsets(sorted.reused), [5, 7]);
  assert.equal(sorted.remember.length, 3);
});

test('keys are per tenant', () => {
  const sorted = sortRetries([msg(5, 'k1', 'd1', '0/1', 'globex')], [stored('k1', 2)], sourceOf);
  assert.deepEqual([offsets(sorted.kept), sorted.reused], [[5], []]);
});
