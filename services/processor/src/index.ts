export { createProcessor, DEFAULT_PROCESSOR_OPTIONS, type Processor, type ProcessorOptions } from './processor.ts';
export { createBatcher, type Batcher, type BatcherOptions, type BatchObserver } from './batcher.ts';
export { backoffDelay, type BackoffPolicy } from './backoff.ts';
