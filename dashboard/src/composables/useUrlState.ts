import { onScopeDispose, shallowRef } from 'vue';
import { decodeState, encodeState, sameState, type ExplorerState } from '../lib/url-state.ts';

/** The explorer state, kept in the address bar: every change is a history entry, Back restores it. */
export function useUrlState() {
  const state = shallowRef<ExplorerState>(decodeState(location.search));
  const onPopState = () => (state.value = decodeState(location.search));
  window.addEventListener('popstate', onPopState);
  onScopeDispose(() => window.removeEventListener('popstate', onPopState));

  function update(patch: Partial<ExplorerState>): void {
    const next = { ...state.value, ...patch };
    if (sameState(next, state.value)) return;
    const search = encodeState(next);
    history.pushState(null, '', search ? `?${search}` : location.pathname);
    state.value = next;
  }

  return { state, update };
}
