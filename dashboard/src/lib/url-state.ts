import { LEVELS, levelFromText, type Level } from '@instant-logs/schema';
import { DEFAULT_RANGE, isTimeExpression } from './time-range.ts';

/** What the main panel shows: the matching records, or the patterns of their messages. */
export type ExplorerTab = 'results' | 'patterns';

/** Everything a shared link restores: the search, the range, the filters, whether tail is on, the tab. */
export interface ExplorerState {
  q: string;
  from: string;
  to: string;
  services: string[];
  levels: Level[];
  live: boolean;
  tab: ExplorerTab;
}

export const DEFAULT_STATE: Readonly<ExplorerState> = Object.freeze({
  q: '',
  from: DEFAULT_RANGE.from,
  to: DEFAULT_RANGE.to,
  services: [],
  levels: [],
  live: false,
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
  return {
    q: params.get('q') ?? '',
    from: time('from'),
    to: time('to'),
    services: [...new Set(params.getAll('service').filter(Boolean))],
    levels: LEVELS.filter((l) => levels.includes(l)),
    live: params.get('live') === '1',
    tab: params.get('tab') === 'patterns' ? 'patterns' : 'results',
  };
}

/** Pure: whether two states ask the server the same thing. */
export function sameState(a: ExplorerState, b: ExplorerState): boolean {
  return encodeState(a) === encodeState(b);
}
