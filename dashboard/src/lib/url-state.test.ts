import { test } from 'node:test';
import assert from 'node:assert/strict';
import { DEFAULT_STATE, decodeState, encodeState, queryKey, sameState, type ExplorerState } from './url-state.ts';

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
    columns: ['time', 'attributes.http.status_code', 'message', 'resource.k8s.pod.name'],
    tz: 'utc',
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

test('columns are kept in their order as repeated col parameters, left out when they are the default', () => {
  const state = { ...DEFAULT_STATE, columns: ['message', 'attributes.http.status_code', 'time'] };
  assert.equal(encodeState(state), 'col=message&col=attributes.http.status_code&col=time');
  assert.deepEqual(decodeState(encodeState(state)).columns, state.columns);
  assert.equal(encodeState({ ...DEFAULT_STATE, columns: ['time', 'level', 'service', 'message'] }), '');
});

test('unknown or repeated columns in a link are dropped, and none left means the default columns', () => {
  assert.deepEqual(decodeState('col=nope&col=attributes.a&col=attributes.a').columns, ['attributes.a']);
  assert.deepEqual(decodeState('col=nope').columns, DEFAULT_STATE.columns);
});

test('the time zone is kept only when chosen, and an unknown one means no choice', () => {
  assert.equal(encodeState({ ...DEFAULT_STATE, tz: 'local' }), 'tz=local');
  assert.equal(decodeState('tz=utc').tz, 'utc');
  assert.equal(decodeState('tz=mars').tz, null);
});

test('columns and time zone do not change what is asked of the server', () => {
  const a = { ...DEFAULT_STATE, q: 'x' };
  assert.equal(queryKey({ ...a, columns: ['message'], tz: 'utc' }), queryKey(a));
  assert.notEqual(queryKey({ ...a, live: true }), queryKey(a));
});

test('the patterns tab is kept in the URL; the results tab is the default and left out', () => {
  assert.equal(encodeState({ ...DEFAULT_STATE, tab: 'patterns' }), 'tab=patterns');
  assert.equal(decodeState('tab=patterns').tab, 'patterns');
  assert.equal(decodeState('tab=charts').tab, 'results');
});
