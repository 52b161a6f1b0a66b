import { ref, shallowRef, watch, type Ref } from 'vue';
import type { ApiClient, SearchFilters } from '../lib/api.ts';
import { commonAttributeKeys } from '../lib/record-fields.ts';
import { resolveRange, type ResolvedRange } from '../lib/time-range.ts';
import { queryKey, type ExplorerState } from '../lib/url-state.ts';
import { useLiveTail } from './useLiveTail.ts';
import { useLogSearch } from './useLogSearch.ts';
import { useRequest } from './useRequest.ts';

const HISTOGRAM_BUCKETS = 60;
const FACET_SIZE = 8;

/**
 * Runs everything the state asks for: the search, the histogram and the facets over one resolved
 * range (so "now" means the same instant for all three), and live tail when it is on.
 */
export function useExplorer(client: ApiClient, state: Ref<ExplorerState>, apiKey: () => string | undefined) {
  const search = useLogSearch(client);
  const histogram = useRequest((signal, filters: SearchFilters) =>
    client.histogram(filters, HISTOGRAM_BUCKETS, signal),
  );
  const facets = useRequest((signal, filters: SearchFilters, keys: string[]) =>
    client.facets(filters, keys, FACET_SIZE, signal),
  );
  const tail = useLiveTail(apiKey);
  const range = shallowRef<ResolvedRange | null>(null);
  const rangeError = ref<string | null>(null);

  async function run(): Promise<void> {
    const s = state.value;
    const resolved = resolveRange(s, Date.now());
    rangeError.value = resolved ? null : `"${s.from}" to "${s.to}" is not a time range`;
    if (!resolved) return;
    range.value = resolved;
    const filters: SearchFilters = { range: resolved, services: s.services, levels: s.levels, q: s.q };
    void histogram.run(filters);
    const records = await search.run(filters);
    if (search.error.value) return;
    // Facet the attributes these results actually have, rather than a fixed list.
    void facets.run(filters, commonAttributeKeys(records));
  }

  let tailKey = '';
  // Columns and the time zone change how results read, not what is asked: no new search for them.
  watch(
    () => queryKey(state.value),
    () => {
      const s = state.value;
      void run();
      if (!s.live) return tail.stop();
      const key = JSON.stringify([s.q, s.services, s.levels]);
      if (key !== tailKey || tail.status.value.state === 'stopped') {
        tailKey = key;
        tail.start({ q: s.q, services: s.services, levels: s.levels });
      }
    },
    { immediate: true },
  );

  return { search, histogram, facets, tail, range, rangeError, run };
}
