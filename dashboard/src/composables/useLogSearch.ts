import { ref, shallowRef } from 'vue';
import type { LogRecord } from '@instant-logs/schema';
import type { ApiClient, SearchFilters } from '../lib/api.ts';
import { useRequest } from './useRequest.ts';

const PAGE_SIZE = 200;

/**
 * Search results, newest first, with further pages fetched by cursor as the table asks for them.
 * A search the server refuses leaves the last results (and `query`, the text that found them) in place.
 */
export function useLogSearch(client: ApiClient) {
  const first = useRequest((signal, filters: SearchFilters) => client.search(filters, { limit: PAGE_SIZE }, signal));
  const records = shallowRef<LogRecord[]>([]);
  const nextCursor = ref<string | null>(null);
  const loadingMore = ref(false);
  const query = ref('');
  let filters: SearchFilters | null = null;
  let generation = 0;

  async function run(next: SearchFilters): Promise<LogRecord[]> {
    const mine = ++generation;
    loadingMore.value = false;
    const page = await first.run(next);
    if (mine !== generation || !page) return [];
    filters = next;
    query.value = next.q;
    records.value = page.records;
    nextCursor.value = page.next_cursor;
    return records.value;
  }

  async function loadMore(): Promise<void> {
    if (!filters || !nextCursor.value || loadingMore.value || first.loading.value) return;
    const mine = generation;
    loadingMore.value = true;
    try {
      const page = await client.search(filters, { limit: PAGE_SIZE, cursor: nextCursor.value });
      if (mine !== generation) return;
      records.value = records.value.concat(page.records);
      nextCursor.value = page.next_cursor;
    } catch (err) {
      if (mine === generation) first.error.value = err as typeof first.error.value;
    } finally {
      if (mine === generation) loadingMore.value = false;
    }
  }

  return { records, query, nextCursor, loading: first.loading, loadingMore, error: first.error, run, loadMore };
}
