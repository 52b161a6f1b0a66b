import { Counter, Gauge, type Registry } from 'prom-client';
import type { AlertState } from '@instant-logs/schema';

/** The numbers instant_logs_alert_state takes: 0 inactive or resolved, 1 pending, 2 firing. */
export const STATE_VALUE: Readonly<Record<AlertState, number>> = Object.freeze({
  inactive: 0,
  resolved: 0,
  pending: 1,
  firing: 2,
});

/** Alert evaluation metrics; registered on the query service's registry. */
export function createAlertMetrics(registry: Registry) {
  return {
    alertState: new Gauge({
      name: 'instant_logs_alert_state',
      help: 'State of each alert rule: 0 inactive or resolved, 1 pending, 2 firing (the evaluating replica only).',
      labelNames: ['tenant', 'rule'],
      registers: [registry],
    }),
    evaluations: new Counter({
      name: 'instant_logs_alert_evaluations_total',
      help: 'Alert rule evaluations, by result (error: the count could not be read).',
      labelNames: ['result'],
      registers: [registry],
      collect() {
        for (const result of ['ok', 'error']) this.inc({ result }, 0);
      },
    }),
    notifications: new Counter({
      name: 'instant_logs_alert_notifications_total',
      help: 'Alert webhook deliveries, by result (failed: every attempt of an evaluation failed).',
      labelNames: ['result'],
      registers: [registry],
      collect() {
        for (const result of ['sent', 'failed']) this.inc({ result }, 0);
      },
    }),
    evaluator: new Gauge({
      name: 'instant_logs_alert_evaluator_leader',
      help: '1 on the replica that holds the alert evaluation lease.',
      registers: [registry],
    }),
  };
}
export type AlertMetrics = ReturnType<typeof createAlertMetrics>;
