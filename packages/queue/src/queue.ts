/** The lines of one service in a chunk grouped by service: they end at byte `end` (exclusive). */
export interface ServiceRun {
  service: string;
  end: number;
  rows: number;
}

/** A batch of records as queued lines (`queuedLine` of @instant-logs/schema, one per line, no trailing newline). */
export interface RecordChunk {
  tenant: string;
  rows: number;
  /** The lines as UTF-8 bytes: they travel to the log, the broker and the store without being decoded again. */
  data: Buffer;
  /**
   * When given, `data` holds its lines grouped by service in these runs, each starting after the newline that
   * ends the one before: the Kafka queue cuts its per-service messages from them instead of reading every line.
   */
  services?: readonly ServiceRun[];
  /** W3C trace context of the request that brought the records (traceparent, tracestate). */
  trace?: Record<string, string>;
  /**
   * The request's Idempotency-Key, its body digest and the answer it got: kept with the records, so
   * a restart that replays them also remembers the answer a retry must get.
   */
  idempotency?: { key: string; digest: string; response: unknown };
  /**
   * For each line of `data`, in order, the ledger key of its document when its sender named it (an Elasticsearch
   * bulk document's `_id`), else null. The local log keeps them with the records, so a restart that replays them
   * still refuses a second copy; Kafka sends each named document as its own message under its key, so the processor
   * stores it once.
   */
  documentKeys?: readonly (string | null)[];
}

/**
 * What the collector hands records to. `publish` resolves only once the records are durable:
 * written to the store (in-process) or acknowledged by the broker (Kafka). Never earlier.
 */
export interface LogQueue {
  publish(chunk: RecordChunk): Promise<void>;
  ready(): Promise<boolean>;
  close(): Promise<void>;
}

/** The queue cannot take more right now; the client should retry after `retryAfterSeconds`. */
export class QueueFullError extends Error {
  readonly retryAfterSeconds: number;
  constructor(message: string, retryAfterSeconds = 1) {
    super(message);
    this.name = 'QueueFullError';
    this.retryAfterSeconds = retryAfterSeconds;
  }
}

/** The records could not be made durable (store or broker down); nothing was acknowledged. */
export class QueueUnavailableError extends Error {
  readonly retryAfterSeconds: number;
  constructor(message: string, options: { retryAfterSeconds?: number; cause?: unknown } = {}) {
    super(message, { cause: options.cause });
    this.name = 'QueueUnavailableError';
    this.retryAfterSeconds = options.retryAfterSeconds ?? 5;
  }
}

/** The records can never be stored as they are (a permanent store error). */
export class QueueRejectedError extends Error {
  constructor(message: string, options: { cause?: unknown } = {}) {
    super(message, options);
    this.name = 'QueueRejectedError';
  }
}
