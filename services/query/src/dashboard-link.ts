/** The part of the dashboard's state a link carries (dashboard/src/lib/url-state.ts reads it). */
export interface LinkState {
  q: string;
  from: string;
  to: string;
  service: readonly string[];
  level: readonly string[];
  columns?: readonly string[];
  tz?: 'local' | 'utc' | null;
}

/** Pure: the dashboard path ("/?…") that opens with this state; `base` (a public URL) makes it absolute. */
export function dashboardLink(state: LinkState, base = ''): string {
  const params = new URLSearchParams();
  if (state.q) params.set('q', state.q);
  params.set('from', state.from);
  params.set('to', state.to);
  for (const s of state.service) params.append('service', s);
  for (const l of state.level) params.append('level', l);
  for (const c of state.columns ?? []) params.append('col', c);
  if (state.tz) params.set('tz', state.tz);
  return `${base.replace(/\/+$/, '')}/?${params}`;
}

/** Pure: the dashboard path that opens a saved view by its id (it follows later edits of the view). */
export function viewLink(id: string, base = ''): string {
  return `${base.replace(/\/+$/, '')}/?view=${encodeURIComponent(id)}`;
}
