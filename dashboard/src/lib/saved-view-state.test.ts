import assert from 'node:assert/strict';
import { test } from 'node:test';
import { SavedView } from '@instant-logs/schema';
import { DEFAULT_COLUMNS } from './columns.ts';
import { requestedView, shareLink, viewDraft, viewState } from './saved-view-state.ts';
import { DEFAULT_STATE, encodeState, type ExplorerState } from './url-state.ts';

const state: ExplorerState = {
  ...DEFAULT_STATE,
  q: 'checkout -healthz',
  from: 'now-1h',
  services: ['api'],
  levels: ['warn', 'error'],
  live: true,
  columns: ['time', 'message', 'attributes.region'],
  tz: 'utc',
};

test('a state saved as a view opens as the same link, without live tail', () => {
  const draft = viewDraft('  Checkout  ', state);
  assert.equal(draft.name, 'Checkout');
  const view = SavedView.parse({ ...draft, id: 'x', created_at: '', updated_at: '', url: '' });
  assert.equal(encodeState(viewState(view)), encodeState({ ...state, live: false }));
});

test('default columns are saved as none, and none open as the default columns', () => {
  assert.deepEqual(viewDraft('v', DEFAULT_STATE).columns, []);
  const view = SavedView.parse({ name: 'v', id: 'x', created_at: '', updated_at: '', url: '' });
  assert.deepEqual(viewState(view).columns, [...DEFAULT_COLUMNS]);
  assert.equal(viewState(view).tz, null);
});

test('a shared link keeps the dashboard path and replaces its query', () => {
  assert.equal(shareLink('https://logs.example/ui/?q=a#x', 'Ab_9'), 'https://logs.example/ui/?view=Ab_9');
  assert.equal(requestedView('?view=Ab_9&q=x'), 'Ab_9');
  assert.equal(requestedView('?q=x'), null);
});
