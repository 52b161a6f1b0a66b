import { Counter, Gauge, Histogram, type Registry } from 'prom-client';

/** The operator's metrics, registered on its own registry. */
export function createOperatorMetrics(registry: Registry) {
  return {
    reconciles: new Counter({
      name: 'instant_logs_operator_reconciles_total',
      help: 'Reconciles by result.',
      labelNames: ['result'],
      registers: [registry],
    }),
    duration: new Histogram({
      name: 'instant_logs_operator_reconcile_duration_seconds',
      help: 'Time one reconcile took.',
      buckets: [0.01, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30],
      registers: [registry],
    }),
    queueDepth: new Gauge({
      name: 'instant_logs_operator_queue_depth',
      help: 'LogPipelines waiting to be reconciled.',
      registers: [registry],
    }),
    leader: new Gauge({
      name: 'instant_logs_operator_leader',
      help: '1 while this replica holds the leader lease.',
      registers: [registry],
    }),
    watchRestarts: new Counter({
      name: 'instant_logs_operator_watch_restarts_total',
      help: 'Watches restarted after an error.',
      labelNames: ['kind'],
      registers: [registry],
    }),
  };
}
export type OperatorMetrics = ReturnType<typeof createOperatorMetrics>;
