import { dashboard, datasourceVariable, labelVariable, stat, timeseries } from './grafana.ts';

const S = 'namespace=~"$namespace", job=~"$job"';
const rate = (metric: string, matchers = '') => `rate(${metric}{${S}${matchers}}[$__rate_interval])`;
const quantile = (q: number) =>
  `histogram_quantile(${q}, sum by (le) (${rate('instant_logs_operator_reconcile_duration_seconds_bucket')}))`;

/** The operator: reconciles, their errors and duration, the work queue, leadership and watches. Pure. */
export function operatorDashboard() {
  return dashboard({
    uid: 'instant-logs-operator',
    title: 'Instant Logs / Operator',
    description:
      'Reconciles of LogPipelines by the instant-logs operator: rate, errors, duration, work queue, leader election and watches.',
    variables: [
      datasourceVariable(),
      labelVariable('namespace', 'Namespace', 'label_values(instant_logs_operator_leader, namespace)'),
      labelVariable('job', 'Job', 'label_values(instant_logs_operator_leader{namespace=~"$namespace"}, job)'),
    ],
    rows: [
      {
        title: 'Overview',
        panels: [
          stat({
            title: 'Leaders',
            description: 'Replicas holding the leader lease: exactly one should.',
            unit: 'short',
            w: 6,
            thresholds: [
              { value: 0, color: 'red' },
              { value: 1, color: 'green' },
              { value: 2, color: 'orange' },
            ],
            queries: [{ expr: `sum(instant_logs_operator_leader{${S}})` }],
          }),
          stat({
            title: 'Reconciles/s',
            description: 'Reconciles finished per second.',
            unit: 'ops',
            w: 6,
            queries: [{ expr: `sum(${rate('instant_logs_operator_reconciles_total')})` }],
          }),
          stat({
            title: 'Reconcile errors',
            description: 'Share of reconciles that failed (retried with backoff).',
            unit: 'percentunit',
            w: 6,
            thresholds: [
              { value: 0.01, color: 'orange' },
              { value: 0.1, color: 'red' },
            ],
            queries: [
              {
                expr: `(sum(${rate('instant_logs_operator_reconciles_total', ', result="error"')}) or vector(0)) / sum(${rate('instant_logs_operator_reconciles_total')})`,
              },
            ],
          }),
          stat({
            title: 'Queue depth',
            description: 'LogPipelines waiting to be reconciled.',
            unit: 'short',
            w: 6,
            thresholds: [{ value: 10, color: 'orange' }],
            queries: [{ expr: `sum(instant_logs_operator_queue_depth{${S}})` }],
          }),
        ],
      },
      {
        title: 'Reconciles',
        panels: [
          timeseries({
            title: 'Reconciles by result',
            description: 'Reconciles per second, successful and failed.',
            unit: 'ops',
            queries: [
              { expr: `sum by (result) (${rate('instant_logs_operator_reconciles_total')})`, legend: '{{result}}' },
            ],
          }),
          timeseries({
            title: 'Reconcile errors',
            description: 'Failed reconciles per second, by replica (alert: failing for 15 minutes).',
            unit: 'ops',
            queries: [
              {
                expr: `sum by (instance) (${rate('instant_logs_operator_reconciles_total', ', result="error"')})`,
                legend: '{{instance}}',
              },
            ],
          }),
          timeseries({
            title: 'Reconcile duration',
            description: 'Time one reconcile took: median and p99.',
            unit: 's',
            queries: [
              { expr: quantile(0.5), legend: 'p50' },
              { expr: quantile(0.99), legend: 'p99' },
            ],
          }),
        ],
      },
      {
        title: 'Work queue, leadership and watches',
        panels: [
          timeseries({
            title: 'Queue depth',
            description: 'LogPipelines waiting to be reconciled, by replica.',
            unit: 'short',
            queries: [{ expr: `max by (instance) (instant_logs_operator_queue_depth{${S}})`, legend: '{{instance}}' }],
          }),
          timeseries({
            title: 'Leader',
            description: '1 while a replica holds the leader lease.',
            unit: 'short',
            max: 1,
            queries: [{ expr: `max by (instance) (instant_logs_operator_leader{${S}})`, legend: '{{instance}}' }],
          }),
          timeseries({
            title: 'Watch restarts',
            description: 'Watches restarted after an error, by kind.',
            unit: 'short',
            queries: [
              {
                expr: `sum by (kind) (increase(instant_logs_operator_watch_restarts_total{${S}}[$__rate_interval]))`,
                legend: '{{kind}}',
              },
            ],
          }),
        ],
      },
      {
        title: 'Process',
        panels: [
          timeseries({
            title: 'CPU',
            description: 'CPU time per second (1 = one core).',
            unit: 'percentunit',
            queries: [{ expr: `sum by (instance) (${rate('process_cpu_seconds_total')})`, legend: '{{instance}}' }],
          }),
          timeseries({
            title: 'Resident memory',
            description: 'Resident set size.',
            unit: 'bytes',
            queries: [{ expr: `sum by (instance) (process_resident_memory_bytes{${S}})`, legend: '{{instance}}' }],
          }),
          timeseries({
            title: 'Event-loop lag p99',
            description: 'How late the event loop runs callbacks.',
            unit: 's',
            queries: [{ expr: `max by (instance) (nodejs_eventloop_lag_p99_seconds{${S}})`, legend: '{{instance}}' }],
          }),
        ],
      },
    ],
  });
}
