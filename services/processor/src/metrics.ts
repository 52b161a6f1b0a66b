import { Counter, Gauge, Histogram, Registry } from 'prom-client';

/** The processor's metrics on its own registry, and the writer's hooks that feed them. */
export function createProcessorMetrics(registry: Registry) {
  const m = {
    inserted: new Counter({
      name: 'instant_logs_processor_records_inserted_total',
      help: 'Records written to the store.',
      registers: [registry],
    }),
    batchRows: new Histogram({
      name: 'instant_logs_processor_batch_rows',
      help: 'Rows per insert.',
      buckets: [1, 10, 100, 500, 1000, 5000, 10000, 50000, 100000],
      registers: [registry],
    }),
    batchBytes: new Histogram({
      name: 'instant_logs_processor_batch_bytes',
      help: 'Bytes of JSON per insert.',
      buckets: [1e3, 1e4, 1e5, 1e6, 4e6, 16e6, 64e6],
      registers: [registry],
    }),
    insertSeconds: new Histogram({
      name: 'instant_logs_processor_insert_seconds',
      help: 'Duration of one successful insert.',
      buckets: [0.001, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5],
      registers: [registry],
    }),
    retries: new Counter({
      name: 'instant_logs_processor_insert_retries_total',
      help: 'Inserts retried after a transient failure.',
      registers: [registry],
    }),
    deadLettered: new Counter({
      name: 'instant_logs_processor_dead_lettered_total',
      help: 'Records sent to the dead-letter topic.',
      registers: [registry],
    }),
    lag: new Gauge({
      name: 'instant_logs_processor_consumer_lag',
      help: 'Messages behind the end of each partition.',
      labelNames: ['partition'],
      registers: [registry],
    }),
    retriesSkipped: new Counter({
      name: 'instant_logs_processor_idempotent_retries_skipped_total',
      help: 'Records not stored because the same Idempotency-Key and body were stored within the window (client retries).',
      registers: [registry],
    }),
    keyReused: new Counter({
      name: 'instant_logs_processor_idempotency_key_reused_total',
      help: 'Messages stored under an Idempotency-Key that came with another body within the window.',
      registers: [registry],
    }),
    paused: new Gauge({
      name: 'instant_logs_processor_partition_paused',
      help: '1 while a partition waits for the store to recover.',
      labelNames: ['partition'],
      registers: [registry],
    }),
  };
  const kafkaObserver = {
    inserted(rows: number, bytes: number, seconds: number) {
      m.inserted.inc(rows);
      m.batchRows.observe(rows);
      m.batchBytes.observe(bytes);
      m.insertSeconds.observe(seconds);
    },
    retried: () => m.retries.inc(),
    deadLettered: (count: number) => m.deadLettered.inc(count),
    pausedChanged: (partition: number, paused: boolean) =>
      m.paused.set({ partition: String(partition) }, paused ? 1 : 0),
    lag: (partition: number, lag: number) => m.lag.set({ partition: String(partition) }, Math.max(0, lag)),
    retriesSkipped: (rows: number) => m.retriesSkipped.inc(rows),
    keyReused: (messages: readonly unknown[]) => m.keyReused.inc(messages.length),
  };
  return { ...m, kafkaObserver };
}
