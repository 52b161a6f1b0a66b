import type { SocketLike } from './tail-connection.ts';

/**
 * A socket that first obtains a live-tail ticket, then opens the WebSocket with it, so the API key
 * itself never appears in a URL. Until then it buffers nothing and can be closed; a ticket that cannot
 * be had reads as a dropped connection, which the tail retries with backoff.
 */
export function openWithTicket(
  url: string,
  ticket: () => Promise<string | undefined>,
  open: (url: string) => SocketLike,
): SocketLike {
  let inner: SocketLike | null = null;
  let closed = false;
  const outer: SocketLike = {
    onopen: null,
    onmessage: null,
    onclose: null,
    onerror: null,
    close(code, reason) {
      closed = true;
      inner?.close(code, reason);
    },
  };
  ticket().then(
    (value) => {
      if (closed) return;
      const socket = open(value ? `${url}${url.includes('?') ? '&' : '?'}ticket=${encodeURIComponent(value)}` : url);
      inner = socket;
      socket.onopen = () => outer.onopen?.();
      socket.onmessage = (event) => outer.onmessage?.(event);
      socket.onclose = (event) => outer.onclose?.(event);
      socket.onerror = () => outer.onerror?.();
    },
    () => {
      if (!closed) outer.onclose?.({ code: 1006, reason: 'no tail ticket' });
    },
  );
  return outer;
}

/** Asks the query service for a single-use live-tail ticket with the key in a header. */
export async function fetchTailTicket(fetcher: typeof fetch, apiKey: string, baseUrl = ''): Promise<string> {
  const res = await fetcher(`${baseUrl}/api/v1/tail/ticket`, {
    method: 'POST',
    headers: { authorization: `Bearer ${apiKey}` },
  });
  if (!res.ok) throw new Error(`tail ticket refused: HTTP ${res.status}`);
  const body = (await res.json()) as { ticket?: unknown };
  if (typeof body.ticket !== 'string') throw new Error('tail ticket missing from the answer');
  return body.ticket;
}
