import { watch, type Ref, type ShallowRef } from 'vue';
import type { ApiClient } from '../lib/api.ts';
import type { ResolvedRange } from '../lib/time-range.ts';
import type { ExplorerState } from '../lib/url-state.ts';
import { useRequest } from './useRequest.ts';

const SPARKLINE_BUCKETS = 30;
const PATTERN_LIMIT = 100;

/** The patterns of the explorer's filters over its resolved range, asked only while their tab is open. */
export function usePatterns(client: ApiClient, state: Ref<ExplorerState>, range: ShallowRef<ResolvedRange | null>) {
  const request = useRequest((signal, filters: Parameters<ApiClient['patterns']>[0]) =>
    client.patterns(filters, { buckets: SPARKLINE_BUCKETS, limit: PATTERN_LIMIT }, signal),
  );
  // The explorer resolves a new range on every run (a refresh too), so this follows each run.
  watch(
    [range, () => state.value.tab],
    ([resolved, tab]) => {
      if (tab !== 'patterns' || !resolved) return;
      const s = state.value;
      void request.run({ range: resolved, services: s.services, levels: s.levels, q: s.q });
    },
    { immediate: true },
  );
  return request;
}
