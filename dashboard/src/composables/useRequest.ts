import { ref, shallowRef } from 'vue';
import { ApiRequestError } from '../lib/api.ts';

/**
 * Asks `fetcher` again on every run; a newer run aborts the older one, whose answer is dropped.
 * A failed run sets `error` and keeps `data` from the last run that worked.
 */
export function useRequest<A extends unknown[], T>(fetcher: (signal: AbortSignal, ...args: A) => Promise<T>) {
  const data = shallowRef<T | null>(null);
  const loading = ref(false);
  const error = shallowRef<ApiRequestError | null>(null);
  let current: AbortController | null = null;

  async function run(...args: A): Promise<T | null> {
    current?.abort();
    const controller = (current = new AbortController());
    loading.value = true;
    try {
      const result = await fetcher(controller.signal, ...args);
      if (current !== controller) return null;
      data.value = result;
      error.value = null;
      return result;
    } catch (err) {
      if (current !== controller) return null;
      // The last answer stays: a refused query leaves what the previous one showed on screen.
      error.value =
        err instanceof ApiRequestError
          ? err
          : new ApiRequestError(0, 'CLIENT', err instanceof Error ? err.message : String(err));
      return null;
    } finally {
      if (current === controller) loading.value = false;
    }
  }

  return { data, loading, error, run };
}
