import { ref } from 'vue';
import { createApiClient } from '../lib/api.ts';

const STORAGE_KEY = 'instant-logs.api-key';

/** The API client and the key it sends (needed only when the server has API_KEYS set). */
export function useApi() {
  const apiKey = ref(localStorage.getItem(STORAGE_KEY) ?? '');
  const client = createApiClient({
    fetch: (input, init) => fetch(input, init),
    apiKey: () => apiKey.value || undefined,
  });
  function setApiKey(key: string): void {
    apiKey.value = key.trim();
    localStorage.setItem(STORAGE_KEY, apiKey.value);
  }
  return { client, apiKey, setApiKey };
}
