import { onScopeDispose, ref, shallowRef } from 'vue';
import type { LogRecord } from '@instant-logs/schema';
import { tailUrl, type SearchFilters } from '../lib/api.ts';
import { RateMeter, TailBuffer } from '../lib/tail-buffer.ts';
import { TailConnection, type SocketLike, type TailStatus } from '../lib/tail-connection.ts';
import { fetchTailTicket, openWithTicket } from '../lib/ticketed-socket.ts';

/** Live tail over the WebSocket: rows oldest first (at most `cap`), the connection status and the rate. */
export function useLiveTail(apiKey: () => string | undefined, cap = 5000) {
  const rows = shallowRef<readonly LogRecord[]>([]);
  const status = ref<TailStatus>({ state: 'stopped', attempt: 0 });
  const rate = ref(0);
  const buffer = new TailBuffer(cap);
  const meter = new RateMeter(5000);
  let connection: TailConnection | null = null;
  let ticker: ReturnType<typeof setInterval> | undefined;

  function start(filters: Omit<SearchFilters, 'range'>): void {
    stop();
    buffer.clear();
    rows.value = buffer.rows;
    connection = new TailConnection({
      url: (since) => tailUrl(location, filters, since),
      // Browsers cannot set headers on a WebSocket: a single-use ticket, bought with the key in a header, rides in the URL instead.
      open: (url) => {
        const key = apiKey();
        const ticket = key ? () => fetchTailTicket(fetch, key) : async () => undefined;
        return openWithTicket(url, ticket, (u) => new WebSocket(u) as unknown as SocketLike);
      },
      onRecords: (records) => {
        meter.record(buffer.add(records), Date.now());
        rows.value = buffer.rows;
        rate.value = meter.rate(Date.now());
      },
      onStatus: (s) => (status.value = s),
    });
    connection.start();
    ticker = setInterval(() => (rate.value = meter.rate(Date.now())), 1000);
  }

  function stop(): void {
    connection?.stop();
    connection = null;
    clearInterval(ticker);
    rate.value = 0;
  }

  onScopeDispose(stop);
  return {
    rows,
    status,
    rate,
    cap,
    start,
    stop,
    pause: () => connection?.pause(),
    resume: () => connection?.resume(),
  };
}
