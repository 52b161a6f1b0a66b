import assert from 'node:assert/strict';
import { test } from 'node:test';
import type { LogRecord } from '@instant-logs/schema';
import type { TailRecord } from '@instant-logs/store';
import { waitUntil } from '@instant-logs/testbed';
import { createTailClient, type TailSocket } from './tail-client.ts';

/** A socket whose backlog the test sets, keeping what was sent. */
function socket(): TailSocket & { sent: { type: string; position: string; records?: LogRecord[] }[]; backlog: number } {
  return {
    sent: [],
    backlog: 0,
    get bufferedAmount() {
      return this.backlog;
    },
    send(data: string) {
      this.sent.push(JSON.parse(data));
    },
  };
}
const tailed = (id: string, second: number, position: string): TailRecord => ({
  record: { id, timestamp: `2026-01-01T00:00:${String(second).padStart(2, '0')}.000000000Z` } as LogRecord,
  position,
});

test('records wait while the socket is backed up, then go out together in timestamp order with the last position', async () => {
  const s = socket();
  let overflowed: string | undefined;
  const client = createTailClient(s, {
    maxBuffered: 10,
    highWaterBytes: 100,
    retryMs: 1,
    onOverflow: (p) => (overflowed = p),
  });
  client.push([tailed('early', 5, 'p1')]);
  assert.equal(s.sent.length, 0, 'nothing before ready');
  client.start('p0');
  assert.deepEqual(
    s.sent.map((m) => [m.type, m.position, m.records?.map((r) => r.id)]),
    [
      ['ready', 'p0', undefined],
      ['records', 'p1', ['early']],
    ],
  );
  s.backlog = 1000;
  client.push([tailed('c', 30, 'p2'), tailed('a', 10, 'p3')]);
  client.push([tailed('b', 20, 'p4')]);
  assert.equal(s.sent.length, 2, 'held while backed up');
  s.backlog = 0;
  await waitUntil('the held records sent', () => s.sent.length === 3, 2_000, 1);
  assert.deepEqual([s.sent[2]!.position, s.sent[2]!.records!.map((r) => r.id)], ['p4', ['a', 'b', 'c']]);
  assert.equal(overflowed, undefined);
  client.stop();
});

test('a reader more than maxBuffered behind is dropped once, told the last position it was sent', () => {
  const s = socket();
  const overflows: string[] = [];
  const client = createTailClient(s, {
    maxBuffered: 3,
    highWaterBytes: 100,
    retryMs: 1000,
    onOverflow: (p) => overflows.push(p),
  });
  client.start('p0');
  client.push([tailed('a', 1, 'p1')]);
  s.backlog = 1000;
  client.push([tailed('b', 2, 'p2'), tailed('c', 3, 'p3'), tailed('d', 4, 'p4')]);
  assert.deepEqual(overflows, []);
  client.push([tailed('e', 5, 'p5')]);
  client.push([tailed('f', 6, 'p6')]);
  assert.deepEqual(overflows, ['p1']);
  s.backlog = 0;
  client.push([tailed('g', 7, 'p7')]);
  assert.deepEqual(
    s.sent.map((m) => m.position),
    ['p0', 'p1'],
    'nothing more after the drop',
  );
});
