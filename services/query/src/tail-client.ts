import type { LogRecord } from '@instant-logs/schema';
import type { TailRecord } from '@instant-logs/store';

/** The part of a WebSocket a tail writes to (ws's, as @fastify/websocket hands it over). */
export interface TailSocket {
  readonly bufferedAmount: number;
  send(data: string): void;
}

export interface TailClientOptions {
  /** Records held for a client whose socket is backed up; one more and it is dropped. */
  maxBuffered: number;
  /** Bytes queued on the socket past which records wait in the buffer instead. */
  highWaterBytes: number;
  /** How soon a backed-up socket is looked at again. */
  retryMs: number;
  /** Called once when the buffer overflows, with the last position the client was sent. */
  onOverflow(position: string): void;
}

export interface TailClient {
  /** Sends `ready`; records pushed before it wait until then. */
  start(position: string): void;
  push(records: readonly TailRecord[]): void;
  /** Stops sending and forgets the buffer. */
  stop(): void;
}

// Timestamp first, id to break ties: the order a reader expects, whatever order the records were stored in.
const byTime = (a: TailRecord, b: TailRecord) => compareTime(a.record, b.record);
function compareTime(a: LogRecord, b: LogRecord): number {
  if (a.timestamp !== b.timestamp) return a.timestamp < b.timestamp ? -1 : 1;
  return a.id < b.id ? -1 : a.id > b.id ? 1 : 0;
}

/**
 * One tail's outbox: records wait here while the socket is backed up and go out together, in timestamp order,
 * once it drains; a client that falls more than `maxBuffered` records behind is dropped, so a slow reader
 * costs a bounded amount of memory.
 */
export function createTailClient(socket: TailSocket, options: TailClientOptions): TailClient {
  let pending: TailRecord[] = [];
  let sentPosition: string | undefined;
  let started = false;
  let stopped = false;
  let retry: NodeJS.Timeout | undefined;

  const flush = () => {
    if (!started || stopped || retry || pending.length === 0) return;
    if (socket.bufferedAmount > options.highWaterBytes) {
      retry = setTimeout(() => {
        retry = undefined;
        flush();
      }, options.retryMs);
      return;
    }
    // The position is the last one stored, which is not the last one once sorted by time.
    const position = pending.at(-1)!.position;
    const records = pending.sort(byTime).map((r) => r.record);
    pending = [];
    sentPosition = position;
    socket.send(JSON.stringify({ type: 'records', records, position }));
  };

  return {
    start(position) {
      sentPosition = position;
      started = true;
      socket.send(JSON.stringify({ type: 'ready', position }));
      flush();
    },
    push(records) {
      if (stopped) return;
      for (const r of records) pending.push(r);
      flush();
      // Whatever could not go out now waits; past the bound the reader is too slow to keep.
      if (pending.length > options.maxBuffered) {
        stopped = true;
        pending = [];
        clearTimeout(retry);
        options.onOverflow(sentPosition ?? '');
      }
    },
    stop() {
      stopped = true;
      pending = [];
      clearTimeout(retry);
    },
  };
}
