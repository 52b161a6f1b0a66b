import { test } from 'node:test';
import assert from 'node:assert/strict';
import { shownLevels, toggleLevel } from './levels.ts';

test('with no filter every level is shown, and hiding one keeps the other five', () => {
  assert.equal(shownLevels([]).length, 6);
  assert.deepEqual(toggleLevel([], 'debug'), ['trace', 'info', 'warn', 'error', 'fatal']);
});

test('showing a hidden level adds it in severity order; showing all clears the filter', () => {
  assert.deepEqual(toggleLevel(['error'], 'warn'), ['warn', 'error']);
  assert.deepEqual(toggleLevel(['trace', 'info', 'warn', 'error', 'fatal'], 'debug'), []);
});

test('hiding the only shown level clears the filter rather than matching nothing', () => {
  assert.deepEqual(toggleLevel(['error'], 'error'), []);
});
