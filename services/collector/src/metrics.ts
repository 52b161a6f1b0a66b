import { Counter, Gauge, Histogram, Registry } from 'prom-client';
import { OVERLOAD_LIMITS, type AdmissionObserver } from './admission.ts';

/** The collector's metrics, registered on its own registry. */
export function createCollectorMetrics(registry: Registry) {
  return {
    accepted: new Counter({
      name: 'instant_logs_collector_records_accepted_total',
      help: 'Records made durable and acknowledged.',
      registers: [registry],
    }),
    rejected: new Counter({
      name: 'instant_logs_collector_records_rejected_total',
      help: 'Records refused, by the field at fault.',
      labelNames: ['reason'],
      registers: [registry],
    }),
    throttled: new Counter({
      name: 'instant_logs_collector_throttled_total',
      help: 'Requests refused by a tenant rate limit, by tenant (configured ones; the rest as "other") and limit.',
      labelNames: ['tenant', 'limit'],
      registers: [registry],
    }),
    overloaded: new Counter({
      name: 'instant_logs_collector_overloaded_total',
      help: 'Requests refused unread because a memory ceiling or the queue backlog was full, or the store stayed too far behind, by limit.',
      labelNames: ['limit'],
      registers: [registry],
      // Every limit from zero, so rate() sees the first refusal instead of a series appearing at 1.
      collect() {
        for (const limit of OVERLOAD_LIMITS) this.inc({ limit }, 0);
      },
    }),
    inFlightBytes: new Gauge({
      name: 'instant_logs_collector_in_flight_bytes',
      help: 'Request bytes being read or processed (INGEST_MAX_IN_FLIGHT_BYTES).',
      registers: [registry],
    }),
    requests: new Counter({
      name: 'instant_logs_collector_requests_total',
      help: 'Ingest requests by route and status.',
      labelNames: ['route', 'status'],
      registers: [registry],
    }),
    ackSeconds: new Histogram({
      name: 'instant_logs_collector_ack_seconds',
      help: 'Time from request received to acknowledgement.',
      labelNames: ['route'],
      buckets: [0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5],
      registers: [registry],
    }),
  };
}
export type CollectorMetrics = ReturnType<typeof createCollectorMetrics>;

/** Pure: admission's observer over the collector's metrics. */
export function admissionObserver(metrics: CollectorMetrics): AdmissionObserver {
  return {
    refused: (limit) => metrics.overloaded.inc({ limit }),
    inFlight: (bytes) => metrics.inFlightBytes.set(bytes),
  };
}
