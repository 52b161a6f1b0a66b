import { test } from 'node:test';
import assert from 'node:assert/strict';
import { rowOffset, visibleWindow } from './virtual-window.ts';

const base = { count: 10_000, rowHeight: 20, viewportHeight: 200, overscan: 5 };

test('only the rows in view and the overscan are rendered, however long the list', () => {
  assert.deepEqual(visibleWindow({ ...base, scrollTop: 0 }), { start: 0, end: 15, totalHeight: 200_000 });
  assert.deepEqual(visibleWindow({ ...base, scrollTop: 1000 }), { start: 45, end: 65, totalHeight: 200_000 });
  assert.deepEqual(visibleWindow({ ...base, scrollTop: 199_800 }), { start: 9985, end: 10_000, totalHeight: 200_000 });
});

test('an expanded row pushes the rows after it down by its extra height', () => {
  const expanded = { index: 3, height: 300 };
  assert.equal(rowOffset(3, { rowHeight: 20, expanded }), 60);
  assert.equal(rowOffset(4, { rowHeight: 20, expanded }), 360);
  assert.equal(rowOffset(2, { rowHeight: 20, expanded }), 40);
  const w = visibleWindow({ ...base, overscan: 0, scrollTop: 100, expanded });
  assert.deepEqual(w, { start: 3, end: 4, totalHeight: 200_280 });
  assert.deepEqual(visibleWindow({ ...base, overscan: 0, scrollTop: 360, expanded }), {
    start: 4,
    end: 14,
    totalHeight: 200_280,
  });
});

test('an empty list renders nothing', () => {
  assert.deepEqual(visibleWindow({ ...base, count: 0, scrollTop: 0 }), { start: 0, end: 0, totalHeight: 0 });
});
