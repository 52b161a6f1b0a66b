import type { SavedView } from '@instant-logs/schema';
import { DEFAULT_COLUMNS } from './columns.ts';
import { DEFAULT_STATE, type ExplorerState } from './url-state.ts';
import type { ViewDraft } from './saved-api.ts';

/** Pure: what saving the explorer's state as a view sends. Live tail is not part of a view. */
export function viewDraft(name: string, state: ExplorerState): ViewDraft {
  return {
    name: name.trim(),
    q: state.q,
    service: [...state.services],
    level: [...state.levels],
    from: state.from,
    to: state.to,
    columns: state.columns.join() === DEFAULT_COLUMNS.join() ? [] : [...state.columns],
    tz: state.tz,
  };
}

/** Pure: the explorer state a saved view opens with. */
export function viewState(view: SavedView): ExplorerState {
  return {
    ...DEFAULT_STATE,
    q: view.q,
    services: [...view.service],
    levels: [...view.level],
    from: view.from,
    to: view.to,
    columns: view.columns.length > 0 ? [...view.columns] : [...DEFAULT_COLUMNS],
    tz: view.tz,
  };
}

/** Pure: the id a shared link asks to open (`?view=<id>`), or null. */
export function requestedView(search: string): string | null {
  return new URLSearchParams(search).get('view') || null;
}

/** Pure: the absolute link that opens a view, on the dashboard at `page` (its path kept, its query replaced). */
export function shareLink(page: string, viewId: string): string {
  const url = new URL(page);
  url.search = `?view=${encodeURIComponent(viewId)}`;
  url.hash = '';
  return url.toString();
}
