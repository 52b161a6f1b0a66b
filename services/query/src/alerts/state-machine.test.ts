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

test('> and < compare the count strictly', () => {
  assert.deepEqual(
    [conditionHolds(11, '>', 10), conditionHolds(10, '>', 10), conditionHolds(0, '<', 1), conditionHolds(1, '<', 1)],
    [true, false, true, false],
  );
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
