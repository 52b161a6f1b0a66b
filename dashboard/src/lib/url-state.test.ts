import { test } from 'node:test';
import assert from 'node:assert/strict';
import { DEFAULT_STATE, decodeState, encodeState, sameState, type ExplorerState } from './url-state.ts';

test('the default state makes an empty query string', () => {
  assert.equal(encodeState(DEFAULT_STATE), '');
  assert.deepEqual(decodeState(''), DEFAULT_STATE);
});

test('every field survives a round trip through the URL', () => {
  const state: ExplorerState = {
    q: 'timeout service:"pay api" -level:debug',
    from: '2026-11-23T09:00:00.000Z',
    to: 'now-5m',
    services: ['checkout', 'payments'],
    levels: ['warn', 'error'],
    live: true,
    tab: 'patterns',
  };
  const search = encodeState(state);
  assert.deepEqual(decodeState(`?${search}`), state);
  assert.match(search, /service=checkout&service=payments/);
});

test('levels are written in severity order, so equal filters make equal links', () => {
  const a = { ...DEFAULT_STATE, levels: ['error', 'info'] } as ExplorerState;
  const b = { ...DEFAULT_STATE, levels: ['info', 'error'] } as ExplorerState;
  assert.equal(encodeState(a), 'level=info&level=error');
  assert.ok(sameState(a, b));
});

test('unknown levels, unreadable times and duplicate services are dropped when reading a link', () => {
  const state = decodeState('level=error&level=loud&from=yesterday&to=now-1h&service=a&service=a&service=&live=yes');
  assert.deepEqual(state, { ...DEFAULT_STATE, levels: ['error'], to: 'now-1h', services: ['a'], live: false });
});

test('a link may spell levels as the API takes them: aliases and any case', () => {
  assert.deepEqual(decodeState('level=WARNING&level=err').levels, ['warn', 'error']);
});

test('the patterns tab is kept in the URL; the results tab is the default and left out', () => {
  assert.equal(encodeState({ ...DEFAULT_STATE, tab: 'patterns' }), 'tab=patterns');
  assert.equal(decodeState('tab=patterns').tab, 'patterns');
  assert.equal(decodeState('tab=charts').tab, 'results');
});
