import { dashboard, datasourceVariable, labelVariable, stat, timeseries } from './grafana.ts';

// A pipeline's Services are <pipeline>-collector, -processor, -query and -dashboard, and a
// ServiceMonitor names each target's job after its Service; "All" matches any job (the embedded mode).
const S = 'namespace=~"$namespace", job=~"$pipeline(-collector|-processor|-query|-dashboard)?"';
const rate = (metric: string, matchers = '') => `rate(${metric}{${S}${matchers}}[$__rate_interval])`;
const quantile = (q: number, histogram: string, by = '') =>
  `histogram_quantile(${q}, sum by (le${by}) (${rate(`${histogram}_bucket`)}))`;
// A histogram's median and 99th percentile, as a panel's lines.
const p50p99 = (histogram: string) => [
  { expr: quantile(0.5, histogram), legend: 'p50' },
  { expr: quantile(0.99, histogram), legend: 'p99' },
];
const queryQuantile = (q: number) =>
  `histogram_quantile(${q}, sum by (le, route) (${rate('instant_logs_query_duration_seconds_bucket')}))`;
const perPartition = (metric: string) => `max by (namespace, job, partition) (${metric}{${S}})`;

/** The pipeline overview: collector, processors and query service of one LogPipeline (or all). Pure. */
export function pipelineDashboard() {
  return dashboard({
    uid: 'instant-logs-pipeline',
    title: 'Instant Logs / Pipeline',
    description: 'Ingest, Kafka consumption, ClickHouse inserts and queries of Instant Logs pipelines.',
    variables: [
      datasourceVariable(),
      labelVariable('namespace', 'Namespace', 'label_values(instant_logs_collector_records_accepted_total, namespace)'),
      labelVariable(
        'pipeline',
        'Pipeline',
        'label_values(instant_logs_collector_records_accepted_total{namespace=~"$namespace"}, job)',
        '/^(.+)-collector$/',
      ),
    ],
    rows: [
      {
        title: 'Overview',
        panels: [
          stat({
            title: 'Accepted records/s',
            description: 'Records made durable and acknowledged.',
            unit: 'cps',
            queries: [{ expr: `sum(${rate('instant_logs_collector_records_accepted_total')})` }],
          }),
          stat({
            title: 'Rejected records/s',
            description: 'Records refused for a field at fault.',
            unit: 'cps',
            thresholds: [{ value: 1, color: 'orange' }],
            queries: [{ expr: `sum(${rate('instant_logs_collector_records_rejected_total')})` }],
          }),
          stat({
            title: 'Ingest 5xx',
            description: 'Share of ingest requests answered with a 5xx status (alert above 5%).',
            unit: 'percentunit',
            thresholds: [
              { value: 0.01, color: 'orange' },
              { value: 0.05, color: 'red' },
            ],
            queries: [
              {
                expr: `(sum(${rate('instant_logs_collector_requests_total', ', status=~"5.."')}) or vector(0)) / sum(${rate('instant_logs_collector_requests_total')})`,
              },
            ],
          }),
          stat({
            title: 'Consumer lag',
            description: 'Messages not yet stored, all partitions.',
            unit: 'short',
            thresholds: [{ value: 10000, color: 'orange' }],
            queries: [{ expr: `sum(${perPartition('instant_logs_processor_consumer_lag')})` }],
          }),
          stat({
            title: 'Paused partitions',
            description: 'Partitions waiting for ClickHouse to recover.',
            unit: 'short',
            thresholds: [{ value: 1, color: 'red' }],
            queries: [{ expr: `sum(${perPartition('instant_logs_processor_partition_paused')})` }],
          }),
          stat({
            title: 'Dead-lettered',
            description: 'Records sent to the dead-letter topic over the time range.',
            unit: 'short',
            thresholds: [{ value: 1, color: 'orange' }],
            queries: [{ expr: `sum(increase(instant_logs_processor_dead_lettered_total{${S}}[$__range]))` }],
          }),
        ],
      },
      {
        title: 'Ingest (collector)',
        panels: [
          timeseries({
            title: 'Records accepted and rejected',
            description: 'Accepted records per second, and rejected ones by the field at fault.',
            unit: 'cps',
            queries: [
              { expr: `sum(${rate('instant_logs_collector_records_accepted_total')})`, legend: 'accepted' },
              {
                expr: `sum by (reason) (${rate('instant_logs_collector_records_rejected_total')})`,
                legend: 'rejected: {{reason}}',
              },
            ],
          }),
          timeseries({
            title: 'Requests by status',
            description: 'Ingest requests per second by route and HTTP status.',
            unit: 'reqps',
            queries: [
              {
                expr: `sum by (route, status) (${rate('instant_logs_collector_requests_total')})`,
                legend: '{{status}} {{route}}',
              },
            ],
          }),
          timeseries({
            title: 'Acknowledgement latency',
            description:
              'From request received to acknowledgement; behind Kafka this includes the produce round trip with acks=all.',
            unit: 's',
            queries: [
              { expr: quantile(0.5, 'instant_logs_collector_ack_seconds', ', route'), legend: 'p50 {{route}}' },
              { expr: quantile(0.99, 'instant_logs_collector_ack_seconds', ', route'), legend: 'p99 {{route}}' },
            ],
          }),
          timeseries({
            title: 'Requests refused by tenant limits',
            description:
              'Requests answered 429 because a tenant was over its records/s or bytes/s limit (per collector replica); tenants not named in TENANTS_FILE show as "other".',
            unit: 'reqps',
            queries: [
              {
                expr: `sum by (tenant, limit) (${rate('instant_logs_collector_throttled_total')})`,
                legend: '{{tenant}} {{limit}}',
              },
            ],
          }),
          timeseries({
            title: 'Requests refused for overload',
            description:
              'Requests answered 429 before their body was read: the request bytes in flight (INGEST_MAX_IN_FLIGHT_BYTES, per tenant INGEST_MAX_TENANT_IN_FLIGHT_BYTES) or the queue backlog left no room. Readiness is off meanwhile.',
            unit: 'reqps',
            queries: [
              { expr: `sum by (limit) (${rate('instant_logs_collector_overloaded_total')})`, legend: '{{limit}}' },
            ],
          }),
          timeseries({
            title: 'Request bytes in flight',
            description:
              'Bytes of ingest requests being read or processed, per collector; requests are refused beyond INGEST_MAX_IN_FLIGHT_BYTES.',
            unit: 'bytes',
            queries: [
              { expr: `max by (instance) (instant_logs_collector_in_flight_bytes{${S}})`, legend: '{{instance}}' },
            ],
          }),
          timeseries({
            title: 'Syslog messages',
            description:
              'Syslog messages received by transport and grammar, and those not stored (UDP refused by a full queue) or cut at the frame limit.',
            unit: 'cps',
            queries: [
              {
                expr: `sum by (transport, format) (${rate('instant_logs_syslog_messages_total')})`,
                legend: '{{transport}} {{format}}',
              },
              { expr: `sum by (reason) (${rate('instant_logs_syslog_dropped_total')})`, legend: 'dropped: {{reason}}' },
              {
                expr: `sum by (problem) (${rate('instant_logs_syslog_framing_problems_total')})`,
                legend: 'framing: {{problem}}',
              },
            ],
          }),
        ],
      },
      {
        title: 'Processing (Kafka → ClickHouse)',
        panels: [
          timeseries({
            title: 'Records inserted',
            description: 'Records written to ClickHouse per second.',
            unit: 'cps',
            queries: [{ expr: `sum(${rate('instant_logs_processor_records_inserted_total')})`, legend: 'inserted' }],
          }),
          timeseries({
            title: 'Rows per insert',
            description: 'Batch size in rows: average, median and p99.',
            unit: 'short',
            queries: [
              {
                expr: `sum(${rate('instant_logs_processor_batch_rows_sum')}) / sum(${rate('instant_logs_processor_batch_rows_count')})`,
                legend: 'average',
              },
              ...p50p99('instant_logs_processor_batch_rows'),
            ],
          }),
          timeseries({
            title: 'Bytes per insert',
            description: 'Batch size in bytes of JSON: average and p99.',
            unit: 'bytes',
            queries: [
              {
                expr: `sum(${rate('instant_logs_processor_batch_bytes_sum')}) / sum(${rate('instant_logs_processor_batch_bytes_count')})`,
                legend: 'average',
              },
              { expr: quantile(0.99, 'instant_logs_processor_batch_bytes'), legend: 'p99' },
            ],
          }),
          timeseries({
            title: 'Insert latency',
            description: 'Duration of successful ClickHouse inserts.',
            unit: 's',
            queries: p50p99('instant_logs_processor_insert_seconds'),
          }),
          timeseries({
            title: 'Insert retries',
            description:
              'Inserts retried after a transient failure: records are never given up on, only retried or dead-lettered.',
            unit: 'ops',
            queries: [{ expr: `sum(${rate('instant_logs_processor_insert_retries_total')})`, legend: 'retries' }],
          }),
          timeseries({
            title: 'Local log backlog (embedded)',
            description:
              'Bytes the single-process mode acknowledged from its local log and has not stored yet; ingest answers 429 at WAL_MAX_UNSTORED_BYTES.',
            unit: 'bytes',
            queries: [{ expr: `max by (instance) (instant_logs_wal_unstored_bytes{${S}})`, legend: '{{instance}}' }],
          }),
          timeseries({
            title: 'Local log lag (embedded)',
            description:
              'How long the oldest record in the local log has waited to be stored; beyond WAL_MAX_LAG_MS new requests wait, then get 429.',
            unit: 's',
            queries: [{ expr: `max by (instance) (instant_logs_wal_lag_seconds{${S}})`, legend: '{{instance}}' }],
          }),
          timeseries({
            title: 'Local log group commits (embedded)',
            description:
              'Time to write and fdatasync one group of local log entries: every acknowledgement waits for its group, so this is the floor of the ack latency.',
            unit: 's',
            queries: p50p99('instant_logs_wal_group_commit_seconds'),
          }),
          timeseries({
            title: 'Requests per local log group commit (embedded)',
            description:
              'How many requests one write and fdatasync of the local log acknowledged, on average: more under load, which is what keeps the syncs few.',
            unit: 'short',
            queries: [
              {
                expr: `sum(${rate('instant_logs_wal_group_commit_entries_sum')}) / sum(${rate('instant_logs_wal_group_commit_entries_count')})`,
                legend: 'requests per group',
              },
            ],
          }),
          timeseries({
            title: 'Dead-lettered records',
            description: 'Records ClickHouse refused for good, sent to the dead-letter topic.',
            unit: 'cps',
            queries: [{ expr: `sum(${rate('instant_logs_processor_dead_lettered_total')})`, legend: 'dead-lettered' }],
          }),
          timeseries({
            title: 'Client retries skipped',
            description:
              'Records of a request stored before under the same Idempotency-Key and body (a client retry), not stored again; and messages stored under a key that came before with another body.',
            unit: 'cps',
            queries: [
              {
                expr: `sum(${rate('instant_logs_processor_idempotent_retries_skipped_total')})`,
                legend: 'retried records skipped',
              },
              {
                expr: `sum(${rate('instant_logs_processor_idempotency_key_reused_total')})`,
                legend: 'keys reused with another body',
              },
            ],
          }),
          timeseries({
            title: 'Consumer lag per partition',
            description: 'Messages behind the end of each partition (alert: above 10 000 and growing for 10 minutes).',
            unit: 'short',
            w: 12,
            queries: [
              { expr: perPartition('instant_logs_processor_consumer_lag'), legend: '{{job}} partition {{partition}}' },
            ],
          }),
          timeseries({
            title: 'Paused partitions',
            description: '1 while a partition waits for ClickHouse to accept an insert (alert: paused for 5 minutes).',
            unit: 'short',
            w: 12,
            max: 1,
            queries: [
              {
                expr: perPartition('instant_logs_processor_partition_paused'),
                legend: '{{job}} partition {{partition}}',
              },
            ],
          }),
        ],
      },
      {
        title: 'Query',
        panels: [
          timeseries({
            title: 'Query latency',
            description: 'Time to answer, by route: median and p99.',
            unit: 's',
            queries: [
              { expr: queryQuantile(0.5), legend: 'p50 {{route}}' },
              { expr: queryQuantile(0.99), legend: 'p99 {{route}}' },
            ],
          }),
          timeseries({
            title: 'Queries by route and status',
            description: 'Answered queries per second.',
            unit: 'reqps',
            queries: [
              {
                expr: `sum by (route, status) (${rate('instant_logs_query_duration_seconds_count')})`,
                legend: '{{status}} {{route}}',
              },
            ],
          }),
          timeseries({
            title: 'Live-tail clients',
            description: 'Open live-tail WebSocket connections.',
            unit: 'short',
            queries: [{ expr: `sum(instant_logs_query_tail_clients{${S}})`, legend: 'clients' }],
          }),
          timeseries({
            title: 'Live tails refused',
            description:
              'Tails refused because a tenant (TAIL_MAX_PER_TENANT) or the service (TAIL_MAX_TOTAL) had its limit open, or the filter had more than TAIL_MAX_CLAUSES clauses.',
            unit: 'reqps',
            queries: [
              { expr: `sum by (reason) (${rate('instant_logs_query_tails_refused_total')})`, legend: '{{reason}}' },
            ],
          }),
          timeseries({
            title: 'Live-tail store readers',
            description:
              'Pollers reading the store for live tails: one per tenant with open tails, however many tails it serves.',
            unit: 'short',
            queries: [{ expr: `sum(instant_logs_query_tail_pollers{${S}})`, legend: 'pollers' }],
          }),
          timeseries({
            title: 'Live tails dropped as too slow',
            description:
              'Tails closed (4008, QUERY_TAIL_TOO_SLOW) because their reader fell more than the buffer behind; the dashboard resumes them from their last position.',
            unit: 'reqps',
            queries: [{ expr: `sum(${rate('instant_logs_query_tails_dropped_total')})`, legend: 'dropped' }],
          }),
        ],
      },
      {
        title: 'Alerts',
        panels: [
          timeseries({
            title: 'Alert rules firing and pending',
            description:
              'Rules per state on the replica that evaluates (instant_logs_alert_state: 2 firing, 1 pending, 0 inactive or resolved).',
            unit: 'short',
            queries: [
              { expr: `count(instant_logs_alert_state{${S}} == 2) or vector(0)`, legend: 'firing' },
              { expr: `count(instant_logs_alert_state{${S}} == 1) or vector(0)`, legend: 'pending' },
            ],
          }),
          timeseries({
            title: 'Alert evaluations',
            description: "Rule evaluations per second; error: the rule's count could not be read from ClickHouse.",
            unit: 'ops',
            queries: [
              { expr: `sum by (result) (${rate('instant_logs_alert_evaluations_total')})`, legend: '{{result}}' },
            ],
          }),
          timeseries({
            title: 'Alert notifications',
            description:
              'Webhook deliveries; failed: every attempt of an evaluation failed, and the next evaluation retries.',
            unit: 'ops',
            queries: [
              { expr: `sum by (result) (${rate('instant_logs_alert_notifications_total')})`, legend: '{{result}}' },
            ],
          }),
          timeseries({
            title: 'Alert evaluator',
            description:
              'Replicas holding the evaluation lease: 1 normally, 0 while none does (e.g. during a restart).',
            unit: 'short',
            queries: [{ expr: `sum(instant_logs_alert_evaluator_leader{${S}})`, legend: 'leaders' }],
          }),
        ],
      },
      {
        title: 'Processes',
        panels: [
          timeseries({
            title: 'CPU',
            description: 'CPU time per second, per process (1 = one core).',
            unit: 'percentunit',
            w: 6,
            queries: [
              { expr: `sum by (job, instance) (${rate('process_cpu_seconds_total')})`, legend: '{{job}} {{instance}}' },
            ],
          }),
          timeseries({
            title: 'Resident memory',
            description: 'Resident set size per process.',
            unit: 'bytes',
            w: 6,
            queries: [
              { expr: `sum by (job, instance) (process_resident_memory_bytes{${S}})`, legend: '{{job}} {{instance}}' },
            ],
          }),
          timeseries({
            title: 'Heap used',
            description: 'V8 heap in use per process.',
            unit: 'bytes',
            w: 6,
            queries: [
              { expr: `sum by (job, instance) (nodejs_heap_size_used_bytes{${S}})`, legend: '{{job}} {{instance}}' },
            ],
          }),
          timeseries({
            title: 'Event-loop lag p99',
            description: 'How late the event loop runs callbacks; high values delay every request.',
            unit: 's',
            w: 6,
            queries: [
              {
                expr: `max by (job, instance) (nodejs_eventloop_lag_p99_seconds{${S}})`,
                legend: '{{job}} {{instance}}',
              },
            ],
          }),
        ],
      },
    ],
  });
}
