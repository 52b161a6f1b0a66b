import type { LogQueue, RecordChunk } from './queue.ts';

/**
 * The embedded mode's queue: publish hands the chunk straight to the processor's consumer and
 * resolves when the consumer has stored it, so an acknowledgement means the rows are in the store.
 * Backpressure and errors are the consumer's (it throws QueueFullError / QueueUnavailableError).
 */
export function createInProcessQueue(
  consume: (chunk: RecordChunk) => Promise<void>,
  ready: () => Promise<boolean> = async () => true,
): LogQueue {
  let closed = false;
  return {
    async publish(chunk) {
      if (closed) throw new Error('Cannot publish: the queue is closed');
      await consume(chunk);
    },
    ready: async () => !closed && (await ready()),
    async close() {
      closed = true;
    },
  };
}
