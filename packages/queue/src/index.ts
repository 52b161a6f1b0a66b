export {
  QueueFullError,
  QueueUnavailableError,
  QueueRejectedError,
  type LogQueue,
  type RecordChunk,
  type ServiceRun,
} from './queue.ts';
export { createInProcessQueue } from './in-process-queue.ts';
export { createKafkaQueue, type KafkaQueue, type KafkaQueueOptions } from './kafka-queue.ts';
export {
  toLogMessages,
  groupLinesByService,
  groupedByService,
  joinLines,
  MAX_MESSAGE_BYTES,
  type LogMessage,
} from './kafka-messages.ts';
export { ReuseBuffer } from './reuse-buffer.ts';
export {
  idempotentKeys,
  keyedMessages,
  readIdempotency,
  DOCUMENT_DIGEST,
  IDEMPOTENCY_HEADERS,
  type MessageIdempotency,
} from './kafka-idempotency.ts';
export { ensureTopics, type TopicPlan } from './kafka-topics.ts';
export { createKafkaClient } from './kafka-client.ts';
export {
  openSegmentLog,
  LogAppendError,
  type SegmentLog,
  type GroupCommit,
  type SegmentLogOptions,
  type LogEntry,
  type Recovery,
} from './wal/segment-log.ts';
export { createWalQueue, encodeChunk, decodeChunk, chunkMeta, type WalQueueOptions } from './wal/wal-queue.ts';
