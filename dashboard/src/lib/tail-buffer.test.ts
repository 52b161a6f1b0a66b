import { test } from 'node:test';
import assert from 'node:assert/strict';
import { RateMeter, TailBuffer } from './tail-buffer.ts';
import { record } from './test-records.ts';

test('records delivered twice are kept once', () => {
  const buffer = new TailBuffer(10);
  assert.equal(buffer.add([record('a'), record('b')]), 2);
  assert.equal(buffer.add([record('b'), record('c'), record('c')]), 1);
  assert.deepEqual(
    buffer.rows.map((r) => r.id),
    ['a', 'b', 'c'],
  );
});

test('the oldest rows go beyond the cap, and a dropped id may come back', () => {
  const buffer = new TailBuffer(3);
  buffer.add(['a', 'b', 'c', 'd'].map((id) => record(id)));
  assert.deepEqual(
    buffer.rows.map((r) => r.id),
    ['b', 'c', 'd'],
  );
  buffer.add([record('e')]);
  assert.deepEqual(
    buffer.rows.map((r) => r.id),
    ['c', 'd', 'e'],
  );
  assert.equal(buffer.add([record('a')]), 1);
});

test('rows is a new array after each add that kept something, and the same one otherwise', () => {
  const buffer = new TailBuffer(5);
  buffer.add([record('a')]);
  const before = buffer.rows;
  buffer.add([record('a')]);
  assert.equal(buffer.rows, before);
  buffer.add([record('b')]);
  assert.notEqual(buffer.rows, before);
  buffer.clear();
  assert.equal(buffer.rows.length, 0);
});

test('the rate counts records over the sliding window only', () => {
  const meter = new RateMeter(5000);
  meter.record(10, 1000);
  meter.record(15, 4000);
  assert.equal(meter.rate(4000), 5);
  assert.equal(meter.rate(6500), 3);
  assert.equal(meter.rate(9500), 0);
});
