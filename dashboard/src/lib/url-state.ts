import { LEVELS, levelFromText, type Level } from '@instant-logs/schema';
import { DEFAULT_COLUMNS, isColumnId } from './columns.ts';
import { DEFAULT_RANGE, isTimeExpression, type TimeZoneMode } from './time-range.ts';

/** What the main panel shows: the matching records, or the patterns of their messages. */
export type ExplorerTab = 'results' | 'patterns';

/**
 * Everything a shared link restores: the search, the range, the filters, whether tail is on, the tab,
 * and how results read (their columns, and the time zone when the link fixes one).
 */
export interface ExplorerState {
  q: string;
  from: string;
  to: string;
  services: string[];
  levels: Level[];
  live: boolean;
  columns: string[];
  /** null: the link does not say, so the viewer's own preference applies. */
  tz: TimeZoneMode | null;
  tab: ExplorerTab;
}

export const DEFAULT_STATE: Readonly<ExplorerState> = Object.freeze({
  q: '',
  from: DEFAULT_RANGE.from,
  to: DEFAULT_RANGE.to,
  services: [],
  levels: [],
  live: false,
  columns: [...DEFAULT_COLUMNS],
  tz: null,
  tab: 'results',
});

/** Pure: the query string for a state (no leading "?"), leaving out what equals the default. */
export function encodeState(state: ExplorerState): string {
  const params = new URLSearchParams();
  if (state.q) params.set('q', state.q);
  if (state.from !== DEFAULT_STATE.from) params.set('from', state.from);
  if (state.to !== DEFAULT_STATE.to) params.set('to', state.to);
  for (const s of state.services) params.append('service', s);
  // Levels in severity order, so the same filter always makes the same link.
  for (const l of LEVELS) if (state.levels.includes(l)) params.append('level', l);
  if (state.live) params.set('live', '1');
  if (state.columns.join() !== DEFAULT_COLUMNS.join()) for (const c of state.columns) params.append('col', c);
  if (state.tz) params.set('tz', state.tz);
  if (state.tab !== DEFAULT_STATE.tab) params.set('tab', state.tab);
  return params.toString();
}

/** Pure: reads a state from a query string; anything unreadable falls back to the default. */
export function decodeState(search: string): ExplorerState {
  const params = new URLSearchParams(search);
  const time = (key: 'from' | 'to') => {
    const v = params.get(key);
    return v && isTimeExpression(v) ? v : DEFAULT_STATE[key];
  };
  // A hand-written link may spell a level as the API takes it (level=warning).
  const levels = params
    .getAll('level')
    .map(levelFromText)
    .filter((l): l is Level => l !== undefined);
  const columns = [...new Set(params.getAll('col').filter(isColumnId))];
  const tz = params.get('tz');
  return {
    q: params.get('q') ?? '',
    from: time('from'),
    to: time('to'),
    services: [...new Set(params.getAll('service').filter(Boolean))],
    levels: LEVELS.filter((l) => levels.includes(l)),
    live: params.get('live') === '1',
    columns: columns.length > 0 ? columns : [...DEFAULT_COLUMNS],
    tz: tz === 'utc' || tz === 'local' ? tz : null,
    tab: params.get('tab') === 'patterns' ? 'patterns' : 'results',
  };
}

/** Pure: whether two states make the same link. */
export function sameState(a: ExplorerState, b: ExplorerState): boolean {
  return encodeState(a) === encodeState(b);
}

/** Pure: what the server is asked for a state; columns and time zone change only how results read. */
export function queryKey(state: ExplorerState): string {
  return encodeState({ ...state, columns: [...DEFAULT_COLUMNS], tz: null });
}
