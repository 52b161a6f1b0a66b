import {
  QueueFullError,
  QueueRejectedError,
  QueueUnavailableError,
  type LogQueue,
  type RecordChunk,
} from '../queue.ts';
import { LogAppendError, type SegmentLog } from './segment-log.ts';

export interface WalQueueOptions {
  /** Bytes in the log not yet stored; beyond it publish answers QueueFullError. */
  maxUnstoredBytes: number;
}

/** Pure: one log entry for a chunk: a JSON line of its metadata, then its queued lines as they are. */
export function encodeChunk(chunk: RecordChunk): Buffer {
  return Buffer.concat(chunkParts(chunk));
}

/** Pure: encodeChunk's bytes in two parts, the lines not copied: what the log appends. */
export function chunkParts(chunk: RecordChunk): [Buffer, Buffer] {
  const meta = JSON.stringify({
    tenant: chunk.tenant,
    rows: chunk.rows,
    ...(chunk.trace ? { trace: chunk.trace } : {}),
    ...(chunk.idempotency ? { idempotency: chunk.idempotency } : {}),
    ...(chunk.documentKeys?.length ? { documentKeys: chunk.documentKeys } : {}),
  });
  return [Buffer.from(`${meta}\n`), chunk.data];
}

/** Pure: the chunk an entry made by encodeChunk holds; its data is a view of the payload, not a copy. */
export function decodeChunk(payload: Buffer): RecordChunk {
  const newline = payload.indexOf(10);
  return { ...chunkMeta(payload), data: payload.subarray(newline + 1) };
}

/** Pure: an entry's metadata alone, without decoding its records. */
export function chunkMeta(payload: Buffer): Omit<RecordChunk, 'data'> {
  return JSON.parse(payload.toString('utf8', 0, payload.indexOf(10))) as Omit<RecordChunk, 'data'>;
}

/**
 * The embedded mode's queue: publish resolves once the chunk is fsync'd in the local log, so an
 * acknowledgement survives a crash; a log processor stores it later, in large batches.
 */
export function createWalQueue(log: SegmentLog, options: WalQueueOptions): LogQueue {
  let closed = false;
  return {
    async publish(chunk) {
      if (closed) throw new QueueUnavailableError('Cannot accept records: shutting down', { retryAfterSeconds: 1 });
      const payload = chunkParts(chunk);
      const length = payload[0].length + payload[1].length;
      const unstored = log.unstoredBytes();
      if (unstored > 0 && unstored + length > options.maxUnstoredBytes) {
        throw new QueueFullError(
          `Cannot accept ${chunk.rows} records: ${unstored} bytes in the log are waiting to be stored`,
        );
      }
      try {
        await log.append(payload);
      } catch (err) {
        if (!(err instanceof LogAppendError)) throw err;
        if (err.code === 'WAL_ENTRY_TOO_LARGE') throw new QueueRejectedError(err.message, { cause: err });
        // A full disk frees up only when the processor catches up or someone cleans up: not in a second.
        throw new QueueUnavailableError(`${err.message} (${err.code})`, {
          cause: err,
          retryAfterSeconds: err.code === 'WAL_DISK_FULL' ? 30 : 5,
        });
      }
    },
    ready: async () => !closed,
    async close() {
      closed = true;
    },
  };
}
