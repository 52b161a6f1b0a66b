export { backoffDelay, type BackoffPolicy } from './backoff.ts';
export { createKafkaProcessor, type KafkaProcessor, type KafkaProcessorOptions } from './kafka/consumer.ts';
export { createProcessorMetrics } from './metrics.ts';
export { buildApp, type ProcessorAppDeps } from './app.ts';
export { ProcessorConfig } from './config.ts';
export { SetupConfig } from './setup/config.ts';
export {
  startLogProcessor,
  DEFAULT_LOG_PROCESSOR_OPTIONS,
  type LogProcessor,
  type LogProcessorOptions,
} from './wal/log-processor.ts';
