import assert from 'node:assert/strict';
import { test } from 'node:test';
import type { AlertState } from '@instant-logs/schema';
import { conditionHolds, INITIAL_STATE, shouldNotify, step, type RuleState } from './state-machine.ts';

// Runs a rule through evaluations one second apart: whether the condition held at each.
function run(holds: boolean[], forMs: number): AlertState[] {
  let state: RuleState = { ...INITIAL_STATE };
  return holds.map((h, i) => {
    state = step(state, h, h ? 10 : 0, 1_000 * (i + 1), forMs).next;
    return state.state;
  });
}

test('a rule waits in pending for its "for" duration, fires, and resolves when the condition stops', () => {
  assert.deepEqual(run([true, true, true, true, false, false], 2_000), [
    'pending',
    'pending',
    'firing',
    'firing',
    'resolved',
    'resolved',
  ]);
});

test('a pending rule whose condition stops goes back to inactive without firing', () => {
  assert.deepEqual(run([true, false, true], 5_000), ['pending', 'inactive', 'pending']);
});

test('without a "for" duration a rule fires on the first evaluation that holds, and again after resolving', () => {
  assert.deepEqual(run([false, true, false, true], 0), ['inactive', 'firing', 'resolved', 'firing']);
});

test('a transition names both states and keeps firedAt as the alert start', () => {
  const pending = step({ ...INITIAL_STATE }, true, 12, 1_000, 500);
  assert.deepEqual(pending.transition, { at: 1_000, from: 'inactive', to: 'pending' });
  const firing = step(pending.next, true, 13, 2_000, 500);
  assert.deepEqual(firing.transition, { at: 2_000, from: 'pending', to: 'firing' });
  assert.equal(firing.next.firedAt, 2_000);
  const resolved = step(firing.next, false, 0, 3_000, 500);
  assert.equal(resolved.next.firedAt, 2_000);
  assert.equal(resolved.next.since, 3_000);
  assert.equal(step(resolved.next, false, 0, 4_000, 500).transition, null);
});

const above = (threshold: number) => ({ op: '>' as const, threshold, window_minutes: 5 });
const below = (threshold: number) => ({ op: '<' as const, threshold, window_minutes: 5 });
const rise = (factor: number, threshold: number) => ({ op: 'rise' as const, factor, threshold, window_minutes: 5 });

test('> and < compare the count strictly', () => {
  assert.deepEqual(
    [
      conditionHolds(above(10), 11),
      conditionHolds(above(10), 10),
      conditionHolds(below(1), 0),
      conditionHolds(below(1), 1),
    ],
    [true, false, true, false],
  );
});

test('a rise holds at exactly factor × the previous count, not one record below it', () => {
  assert.equal(conditionHolds(rise(3, 10), 30, 10), true);
  assert.equal(conditionHolds(rise(3, 10), 29, 10), false);
  assert.equal(conditionHolds(rise(3, 10), 31, 10), true);
});

test('a rise needs the count above the threshold however large the factor', () => {
  assert.equal(conditionHolds(rise(3, 10), 10, 1), false, '10 is 10× 1 but not above 10');
  assert.equal(conditionHolds(rise(3, 10), 11, 1), true);
  assert.equal(conditionHolds(rise(2, 5), 3, 1), false, 'from 1 to 3 records pages nobody');
});

test('a previous count of 0 is a rise once the count passes the threshold: a new pattern appearing', () => {
  assert.equal(conditionHolds(rise(3, 0), 1, 0), true);
  assert.equal(conditionHolds(rise(3, 0), 0, 0), false);
  assert.equal(conditionHolds(rise(1000, 4), 5, 0), true);
  assert.equal(conditionHolds(rise(1000, 4), 4, 0), false);
});

test('a flat or falling count is no rise', () => {
  assert.equal(conditionHolds(rise(2, 0), 50, 50), false);
  assert.equal(conditionHolds(rise(2, 0), 10, 50), false);
});

test('a decimal factor compares without binary rounding: 11 is 1.1 × 10', () => {
  assert.equal(conditionHolds(rise(1.1, 0), 11, 10), true);
  assert.equal(conditionHolds(rise(1.1, 0), 10, 10), false);
  assert.equal(conditionHolds(rise(1.5, 0), 3, 2), true);
  assert.equal(conditionHolds(rise(1.5, 0), 1_499_999, 1_000_000), false);
});

test('each firing or resolved state is notified once; an Alertmanager is reminded of a firing alert', () => {
  const firing: RuleState = { ...INITIAL_STATE, state: 'firing', since: 1_000, firedAt: 1_000 };
  assert.equal(shouldNotify(firing, 1_000, 60_000, 'json'), true);
  const sent = { ...firing, sent: { key: 'firing@1000', at: 1_000 } };
  assert.equal(shouldNotify(sent, 30_000, 60_000, 'json'), false);
  assert.equal(shouldNotify(sent, 120_000, 60_000, 'json'), false);
  assert.equal(shouldNotify(sent, 30_000, 60_000, 'alertmanager'), false);
  assert.equal(shouldNotify(sent, 61_000, 60_000, 'alertmanager'), true);
  const resolved = { ...sent, state: 'resolved' as const, since: 70_000 };
  assert.equal(shouldNotify(resolved, 70_000, 60_000, 'json'), true);
  assert.equal(shouldNotify({ ...INITIAL_STATE, state: 'pending', since: 1 }, 5, 60_000, 'alertmanager'), false);
});
