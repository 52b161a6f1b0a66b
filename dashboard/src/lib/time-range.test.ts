import { test } from 'node:test';
import assert from 'node:assert/strict';
import {
  describeRange,
  formatTime,
  isTimeExpression,
  normalizeTimeInput,
  rangeAround,
  resolveRange,
  zoomRange,
} from './time-range.ts';

const now = Date.parse('2026-11-23T10:00:00Z');

test('relative ranges resolve against the given clock', () => {
  assert.deepEqual(resolveRange({ from: 'now-15m', to: 'now' }, now), { fromMs: now - 15 * 60_000, toMs: now });
  assert.deepEqual(resolveRange({ from: 'now-7d', to: 'now-1h' }, now), {
    fromMs: now - 7 * 86_400_000,
    toMs: now - 3_600_000,
  });
});

test('absolute ranges resolve to their own times, and a reversed or unreadable range to undefined', () => {
  assert.deepEqual(resolveRange({ from: '2026-11-23T09:00:00Z', to: '2026-11-23T09:30:00.500Z' }, now), {
    fromMs: Date.parse('2026-11-23T09:00:00Z'),
    toMs: Date.parse('2026-11-23T09:30:00.500Z'),
  });
  assert.equal(resolveRange({ from: 'now', to: 'now-1h' }, now), undefined);
  assert.equal(resolveRange({ from: 'yesterday', to: 'now' }, now), undefined);
});

test('typed input accepts API expressions and local date-times, and refuses the rest', () => {
  assert.equal(normalizeTimeInput(' now-2h '), 'now-2h');
  assert.equal(normalizeTimeInput('2026-11-23T09:00:00Z'), '2026-11-23T09:00:00Z');
  assert.equal(normalizeTimeInput('2026-11-23 09:05'), new Date(2026, 10, 23, 9, 5).toISOString());
  assert.equal(normalizeTimeInput('2026-11-23 09:05:07.25'), new Date(2026, 10, 23, 9, 5, 7, 250).toISOString());
  assert.equal(normalizeTimeInput('last tuesday'), undefined);
  assert.equal(normalizeTimeInput(''), undefined);
  assert.equal(isTimeExpression('now-5m'), true);
  assert.equal(isTimeExpression('now+5m'), false);
});

test('a brush selection becomes an ordered absolute range at least a second wide', () => {
  const a = Date.parse('2026-11-23T09:10:00.000Z');
  const b = Date.parse('2026-11-23T09:20:00.000Z');
  assert.deepEqual(zoomRange(b, a), { from: '2026-11-23T09:10:00.000Z', to: '2026-11-23T09:20:00.000Z' });
  assert.deepEqual(zoomRange(a, a + 10), { from: '2026-11-23T09:09:59.505Z', to: '2026-11-23T09:10:00.505Z' });
});

test('presets are named; other ranges show both ends', () => {
  assert.equal(describeRange({ from: 'now-15m', to: 'now' }), 'Last 15 minutes');
  assert.equal(describeRange({ from: 'now-90m', to: 'now' }), 'Last 90m');
  assert.match(describeRange({ from: '2026-11-23T09:00:00Z', to: 'now' }), /^2026-11-2\d \d\d:00:00 → now$/);
});

test('the window around a record spans both sides of its timestamp', () => {
  assert.deepEqual(rangeAround('2026-11-23T09:00:00.123456789Z', 60_000), {
    from: '2026-11-23T08:59:00.123Z',
    to: '2026-11-23T09:01:00.123Z',
  });
});

test('timestamps read in UTC carry a Z, in local time they follow the time zone', () => {
  const ms = Date.parse('2026-11-23T09:04:05.007Z');
  assert.equal(formatTime(ms, 'utc', true), '2026-11-23 09:04:05.007Z');
  assert.equal(formatTime(ms, 'utc'), '2026-11-23 09:04:05Z');
  const local = new Date(ms);
  const expected = `${local.getHours()}`.padStart(2, '0') + `:${`${local.getMinutes()}`.padStart(2, '0')}:05.007`;
  assert.ok(formatTime(ms, 'local', true).endsWith(expected), formatTime(ms, 'local', true));
  assert.ok(!formatTime(ms, 'local').endsWith('Z'));
});

test('in UTC mode typed times are read as UTC and range labels are written in UTC', () => {
  assert.equal(normalizeTimeInput('2026-11-23 09:05', 'utc'), '2026-11-23T09:05:00.000Z');
  assert.equal(normalizeTimeInput('2026-11-23 09:05:07.25', 'utc'), '2026-11-23T09:05:07.250Z');
  assert.equal(
    describeRange({ from: '2026-11-23T09:00:00Z', to: '2026-11-23T10:30:00Z' }, 'utc'),
    '2026-11-23 09:00:00Z → 2026-11-23 10:30:00Z',
  );
});
