import { Counter, Gauge, Histogram, Registry } from 'prom-client';
import { TAIL_REFUSALS } from './tail-limits.ts';
import { createAlertMetrics } from './alerts/metrics.ts';

/** The query service's metrics, registered on its own registry. */
export function createQueryMetrics(registry: Registry) {
  return {
    alerts: createAlertMetrics(registry),
    duration: new Histogram({
      name: 'instant_logs_query_duration_seconds',
      help: 'Time to answer a query, by route and status.',
      labelNames: ['route', 'status'],
      buckets: [0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10],
      registers: [registry],
    }),
    tailClients: new Gauge({
      name: 'instant_logs_query_tail_clients',
      help: 'Open live-tail connections.',
      registers: [registry],
    }),
    tailPollers: new Gauge({
      name: 'instant_logs_query_tail_pollers',
      help: 'Live-tail pollers: one per tenant with open tails, shared by all its tails and filters.',
      registers: [registry],
    }),
    tailsDropped: new Counter({
      name: 'instant_logs_query_tails_dropped_total',
      help: 'Live tails closed (4008) because the reader fell more records behind than a tail may buffer.',
      registers: [registry],
    }),
    tailsRefused: new Counter({
      name: 'instant_logs_query_tails_refused_total',
      help: 'Live tails refused: a tenant or the service at its open-tail limit, or a filter over TAIL_MAX_CLAUSES.',
      labelNames: ['reason'],
      registers: [registry],
      // Every reason from zero, so rate() sees the first refusal.
      collect() {
        for (const reason of TAIL_REFUSALS) this.inc({ reason }, 0);
      },
    }),
  };
}
export type QueryMetrics = ReturnType<typeof createQueryMetrics>;
