import { test } from 'node:test';
import assert from 'node:assert/strict';
import { middleEllipsis } from './text-fit.ts';

test('short values are left alone', () => {
  assert.equal(middleEllipsis('checkout', 8), 'checkout');
});

test('a long value keeps its start and its distinguishing end, at exactly the limit', () => {
  const a = middleEllipsis('checkout-deployment-7c9f8b6d5-x2x4q', 20);
  const b = middleEllipsis('checkout-deployment-7c9f8b6d5-9kz7w', 20);
  assert.equal(a, 'checkout-…b6d5-x2x4q');
  assert.equal([...a].length, 20);
  assert.notEqual(a, b);
});

test('characters outside the BMP are never split, and tiny limits still answer', () => {
  assert.equal(middleEllipsis('😀😀😀😀😀😀', 5), '😀😀…😀😀');
  assert.equal(middleEllipsis('abcdef', 1), '…');
  assert.equal(middleEllipsis('abcdef', 2), '…f');
});
