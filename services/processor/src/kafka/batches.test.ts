import { test } from 'node:test';
import assert from 'node:assert/strict';
import { cutBatches, type SourceMessage } from './batches.ts';

const msg = (offset: number, rows = 1, bytes = 10): SourceMessage => ({
  offset: BigInt(offset),
  value: Buffer.from('x'.repeat(bytes)),
  rows,
  tenant: 't',
});
const msgs = (...offsets: number[]) => offsets.map((o) => msg(o));
const offsetsOf = (batches: SourceMessage[][]) => batches.map((b) => b.map((m) => Number(m.offset)));
const roomy = { maxRows: 1000, maxBytes: 1 << 20 };

test('messages within the limits make one batch', () => {
  assert.deepEqual(offsetsOf(cutBatches(msgs(0, 1, 2, 3), roomy).batches), [[0, 1, 2, 3]]);
});

test('no messages make no batches', () => {
  assert.deepEqual(cutBatches([], roomy), { batches: [], waiting: false });
});

test('a batch ends before the message that would pass a limit', () => {
  const cases: {
    name: string;
    messages: SourceMessage[];
    limits: { maxRows: number; maxBytes: number };
    want: number[][];
  }[] = [
    {
      name: 'rows, counted per record not per message',
      messages: [msg(0, 3), msg(1, 3), msg(2, 3)],
      limits: { maxRows: 6, maxBytes: 1 << 20 },
      want: [[0, 1], [2]],
    },
    {
      name: 'rows exactly at the limit',
      messages: [msg(0, 2), msg(1, 2), msg(2, 2), msg(3, 2)],
      limits: { maxRows: 4, maxBytes: 1 << 20 },
      want: [
        [0, 1],
        [2, 3],
      ],
    },
    {
      name: 'bytes',
      messages: [msg(0, 1, 40), msg(1, 1, 40), msg(2, 1, 40)],
      limits: { maxRows: 1000, maxBytes: 100 },
      want: [[0, 1], [2]],
    },
    // 30 CJK characters are 90 UTF-8 bytes: two of them pass a 100-byte limit that 60 code units would not.
    {
      name: 'bytes in UTF-8, not UTF-16 units',
      messages: [0, 1].map((o) => ({ ...msg(o), value: Buffer.from('日'.repeat(30)) })),
      limits: { maxRows: 1000, maxBytes: 100 },
      want: [[0], [1]],
    },
    {
      name: 'a message over the limit on its own',
      messages: [msg(0, 1, 10), msg(1, 500, 10), msg(2, 1, 10)],
      limits: { maxRows: 100, maxBytes: 1 << 20 },
      want: [[0], [1], [2]],
    },
  ];
  for (const c of cases) assert.deepEqual(offsetsOf(cutBatches(c.messages, c.limits).batches), c.want, c.name);
});

test('an intent fixes the first batch to exactly its range, whatever the limits', () => {
  const intent = { start: 0n, end: 4n };
  const { batches, waiting } = cutBatches(msgs(0, 1, 2, 3, 4, 5, 6), { maxRows: 2, maxBytes: 1 << 20 }, intent);
  assert.equal(waiting, false);
  assert.deepEqual(offsetsOf(batches), [
    [0, 1, 2, 3, 4],
    [5, 6],
  ]);
});

test('an intent ending at the last message fetched makes the whole fetch its batch', () => {
  assert.deepEqual(offsetsOf(cutBatches(msgs(10, 11, 12), roomy, { start: 10n, end: 12n }).batches), [[10, 11, 12]]);
});

test('an intent whose range is not all fetched yet waits instead of splitting it', () => {
  assert.deepEqual(cutBatches(msgs(0, 1, 2), roomy, { start: 0n, end: 5n }), { batches: [], waiting: true });
});

test('an intent already behind the fetched messages is ignored', () => {
  assert.deepEqual(
    offsetsOf(cutBatches(msgs(8, 9), { maxRows: 1, maxBytes: 1 << 20 }, { start: 0n, end: 5n }).batches),
    [[8], [9]],
  );
});

test('gaps in the offsets neither break batches nor an intent range', () => {
  // Offsets of compacted or aborted records never arrive; the intent still covers what does.
  assert.deepEqual(offsetsOf(cutBatches(msgs(0, 3, 7, 8, 20), roomy).batches), [[0, 3, 7, 8, 20]]);
  assert.deepEqual(offsetsOf(cutBatches(msgs(0, 3, 7, 8, 20), roomy, { start: 0n, end: 7n }).batches), [
    [0, 3, 7],
    [8, 20],
  ]);
  // The range's last offset is missing but a later message shows the range is complete.
  assert.deepEqual(offsetsOf(cutBatches(msgs(0, 3, 9), roomy, { start: 0n, end: 5n }).batches), [[0, 3], [9]]);
  // An intent starting in a gap: the fetch begins after its start.
  assert.deepEqual(offsetsOf(cutBatches(msgs(2, 4, 6), roomy, { start: 0n, end: 4n }).batches), [[2, 4], [6]]);
});
