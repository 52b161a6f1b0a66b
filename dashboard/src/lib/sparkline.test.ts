import { test } from 'node:test';
import assert from 'node:assert/strict';
import { formatShare, sparklinePath } from './sparkline.ts';

test('a sparkline runs from the left edge to the right, the highest count at the top', () => {
  assert.equal(sparklinePath([0, 4, 2], 100, 20), 'M0 19 L50 1 L100 10');
});

test('a single count is a flat line across, and no counts draw nothing', () => {
  assert.equal(sparklinePath([3], 60, 10), 'M0 1 L60 1');
  assert.equal(sparklinePath([], 60, 10), '');
  assert.equal(sparklinePath([0, 0], 60, 10), 'M0 9 L60 9');
});

test('shares read as whole percentages, one decimal under ten, and never as 0% when not zero', () => {
  assert.deepEqual([0.42, 0.0312, 0.0004, 0, 1].map(formatShare), ['42%', '3.1%', '<0.1%', '0%', '100%']);
});
