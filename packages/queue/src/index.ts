export { QueueFullError, QueueUnavailableError, QueueRejectedError, type LogQueue, type RecordChunk } from './queue.ts';
export { createInProcessQueue } from './in-process-queue.ts';
