import { ApiError, LogRecord } from '@instant-logs/schema';

/** The part of a browser WebSocket live tail uses; tests pass their own. */
export interface SocketLike {
  onopen: (() => void) | null;
  onmessage: ((event: { data: unknown }) => void) | null;
  onclose: ((event: { code: number; reason: string }) => void) | null;
  onerror: (() => void) | null;
  close(code?: number, reason?: string): void;
}

export type TailState = 'connecting' | 'live' | 'reconnecting' | 'paused' | 'failed' | 'stopped';

export interface TailStatus {
  state: TailState;
  /** Failed attempts in a row; 0 once a connection is up. */
  attempt: number;
  retryInMs?: number;
  error?: string;
}

export interface TailConnectionOptions {
  /** The WebSocket address, resuming after `since` when given. */
  url(since: string | undefined): string;
  open(url: string): SocketLike;
  onRecords(records: LogRecord[]): void;
  onStatus(status: TailStatus): void;
  setTimer?: (fn: () => void, ms: number) => unknown;
  clearTimer?: (handle: unknown) => void;
  random?: () => number;
}

const Records = LogRecord.array();

type TailMessage =
  | { type: 'ready'; position: string }
  | { type: 'records'; records: LogRecord[]; position: string }
  | { type: 'error'; error: ApiError['error'] };

/** Pure: reads one server message, validating records with the shared schema; throws on anything else. */
export function parseTailMessage(data: unknown): TailMessage {
  const m = JSON.parse(String(data)) as Record<string, unknown>;
  if (m.type === 'error') return { type: 'error', error: ApiError.parse(m).error };
  if (typeof m.position !== 'string') throw new TypeError('tail message without a position');
  if (m.type === 'ready') return { type: 'ready', position: m.position };
  if (m.type === 'records') return { type: 'records', records: Records.parse(m.records), position: m.position };
  throw new TypeError(`unknown tail message type ${String(m.type)}`);
}

/** Pure: the wait before reconnect attempt `attempt` (1-based): doubling from 500 ms to 15 s, half of it jittered. */
export function backoffDelay(
  attempt: number,
  random: () => number = Math.random,
  baseMs = 500,
  maxMs = 15_000,
): number {
  const ceiling = Math.min(maxMs, baseMs * 2 ** Math.max(0, attempt - 1));
  return Math.round(ceiling / 2 + (ceiling / 2) * random());
}

// Errors the same request would meet again (a bad query, a bad position): retrying cannot help. A tail dropped
// for falling behind (a hidden tab, a slow link) resumes from its last position like any dropped connection.
const RETRYABLE = new Set(['QUERY_INTERNAL', 'QUERY_UNAVAILABLE', 'QUERY_TAIL_TOO_SLOW']);
const isTerminal = (code: string) => !RETRYABLE.has(code);

/**
 * One live tail: connects, hands on records, and after a dropped connection reconnects with
 * backoff from the last position the server confirmed, so nothing is missed. Pause closes the
 * socket and resume reopens it from that position.
 */
export class TailConnection {
  readonly #o: Required<TailConnectionOptions>;
  #socket: SocketLike | null = null;
  #timer: unknown = null;
  #position: string | undefined;
  #attempt = 0;
  #state: TailState = 'stopped';

  constructor(options: TailConnectionOptions) {
    this.#o = {
      setTimer: (fn, ms) => setTimeout(fn, ms),
      clearTimer: (h) => clearTimeout(h as ReturnType<typeof setTimeout>),
      random: Math.random,
      ...options,
    };
  }

  /** The last position the server confirmed: where a reconnect resumes. */
  get position(): string | undefined {
    return this.#position;
  }

  get state(): TailState {
    return this.#state;
  }

  start(): void {
    this.#position = undefined;
    this.#attempt = 0;
    this.#connect('connecting');
  }

  pause(): void {
    if (this.#state === 'stopped' || this.#state === 'failed') return;
    this.#teardown();
    this.#status('paused');
  }

  resume(): void {
    if (this.#state !== 'paused') return;
    this.#attempt = 0;
    this.#connect('connecting');
  }

  stop(): void {
    this.#teardown();
    this.#status('stopped');
  }

  #connect(state: TailState): void {
    this.#teardown();
    this.#status(state);
    const socket = this.#o.open(this.#o.url(this.#position));
    this.#socket = socket;
    socket.onmessage = (event) => {
      if (this.#socket !== socket) return;
      this.#handle(event.data);
    };
    socket.onclose = () => {
      if (this.#socket !== socket) return;
      this.#socket = null;
      this.#retry();
    };
    socket.onerror = null;
  }

  #handle(data: unknown): void {
    let message: TailMessage;
    try {
      message = parseTailMessage(data);
    } catch {
      return this.#fail('the server sent a message this page cannot read');
    }
    if (message.type === 'error') {
      if (isTerminal(message.error.code)) return this.#fail(message.error.message);
      return; // the server closes the socket next, and the close handler retries
    }
    this.#position = message.position;
    if (message.type === 'ready') {
      this.#attempt = 0;
      this.#status('live');
    } else {
      this.#o.onRecords(message.records);
    }
  }

  #retry(): void {
    this.#attempt++;
    const delay = backoffDelay(this.#attempt, this.#o.random);
    this.#status('reconnecting', { retryInMs: delay });
    this.#timer = this.#o.setTimer(() => {
      this.#timer = null;
      this.#connect('reconnecting');
    }, delay);
  }

  #fail(error: string): void {
    this.#teardown();
    this.#status('failed', { error });
  }

  #teardown(): void {
    if (this.#timer !== null) this.#o.clearTimer(this.#timer);
    this.#timer = null;
    const socket = this.#socket;
    this.#socket = null;
    socket?.close(1000, 'tail stopped');
  }

  #status(state: TailState, extra: Partial<TailStatus> = {}): void {
    this.#state = state;
    this.#o.onStatus({ state, attempt: this.#attempt, ...extra });
  }
}
