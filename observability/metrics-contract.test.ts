import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { Registry } from 'prom-client';
import { createSyslogMetrics } from '@instant-logs/collector';
import { createProcessorMetrics } from '@instant-logs/processor';
import { startTestPipeline } from '../services/embedded/src/test-pipeline.ts';
import type { EmbeddedPipeline } from '../services/embedded/src/app.ts';
import { createOperatorMetrics } from '../operator/src/metrics.ts';
import { contractProblems, dashboardQueries, readDashboards, readRuleFiles, ruleQueries } from './contract.ts';
import { parseExposition, sampleLabels, type Family } from './exposition.ts';
import { findPromtool } from './promtool.ts';
import { waitUntil } from '@instant-logs/testbed';

// The metric names the dashboards and alerts read are a contract with the services: scrape the
// real services, parse what they expose, and fail here when a dashboard or alert reads something
// no service exposes any more.

let pipeline: EmbeddedPipeline;
let promtool: ReturnType<typeof findPromtool>;
const scrapes = new Map<string, string>();

before(async () => {
  promtool = findPromtool();
  // Collector, in-process processor and query service on real chdb, with the process metrics main.ts adds.
  // A tight limit on the default tenant, so a second request is refused and the throttle counter has a sample.
  pipeline = await startTestPipeline({
    defaultMetrics: true,
    tenants: { defaults: {}, tenants: { default: { recordsPerSecond: 1, burstSeconds: 2 } } },
    alerting: { intervalMs: 100 },
  });
  // An alert rule, so the per-rule state gauge has a sample once it is evaluated.
  const rule = await pipeline.app.inject({
    method: 'POST',
    url: '/api/v1/alerts',
    headers: { 'content-type': 'application/json' },
    payload: {
      name: 'contract',
      condition: { op: '>', threshold: 1_000_000, window_minutes: 5 },
      webhook: { type: 'json', url: 'http://127.0.0.1:9/unused' },
    },
  });
  assert.equal(rule.statusCode, 201, rule.body);
  await waitUntil('the alert rule evaluated', async () =>
    /instant_logs_alert_state\{/.test((await pipeline.app.inject({ url: '/metrics' })).body),
  );
  const ingest = await pipeline.app.inject({
    method: 'POST',
    url: '/api/v1/logs',
    headers: { 'content-type': 'application/json' },
    payload: [{ service: 'contract', message: 'stored' }, { message: 'no service: rejected' }],
  });
  assert.equal(ingest.statusCode, 202, ingest.body);
  const throttled = await pipeline.app.inject({
    method: 'POST',
    url: '/api/v1/logs',
    headers: { 'content-type': 'application/json' },
    payload: { service: 'contract', message: 'over the limit' },
  });
  assert.equal(throttled.statusCode, 429, throttled.body);
  const search = await pipeline.app.inject({ method: 'GET', url: '/api/v1/logs?from=now-1h&service=contract' });
  assert.equal(search.statusCode, 200, search.body);
  const metrics = await pipeline.app.inject({ method: 'GET', url: '/metrics' });
  assert.equal(metrics.statusCode, 200);
  scrapes.set('embedded pipeline /metrics', metrics.body);

  // The Kafka processor's metrics, fed through the hooks its consumer calls.
  const kafka = new Registry();
  const processor = createProcessorMetrics(kafka);
  processor.kafkaObserver.inserted(500, 64_000, 0.02);
  processor.kafkaObserver.retried();
  processor.kafkaObserver.deadLettered(2);
  processor.kafkaObserver.pausedChanged(0, true);
  processor.kafkaObserver.lag(0, 1200);
  processor.kafkaObserver.lag(1, 0);
  scrapes.set('Kafka processor registry', await kafka.metrics());

  // The syslog listeners', as their connections move them (the embedded test pipeline runs none).
  const syslogRegistry = new Registry();
  const syslog = createSyslogMetrics(syslogRegistry);
  syslog.messages.inc({ transport: 'tcp', format: 'rfc5424' });
  syslog.dropped.inc({ reason: 'queue_full' });
  syslog.framing.inc({ problem: 'oversize' });
  scrapes.set('syslog registry', await syslogRegistry.metrics());

  // The operator's, as its controller and leader election move them.
  const op = new Registry();
  const operator = createOperatorMetrics(op);
  operator.reconciles.inc({ result: 'success' });
  operator.reconciles.inc({ result: 'error' });
  operator.duration.observe(0.2);
  operator.queueDepth.set(1);
  operator.leader.set(1);
  operator.watchRestarts.inc({ kind: 'LogPipeline' });
  scrapes.set('operator registry', await op.metrics());
});
after(() => pipeline?.close());

const parsed = () => new Map([...scrapes].map(([name, text]) => [name, parseExposition(text)]));
const exposed = () => sampleLabels([...parsed().values()].flatMap((families) => [...families.values()]));
const queries = () => [
  ...[...readDashboards()].flatMap(([file, d]) => dashboardQueries(file, d)),
  ...[...readRuleFiles()].flatMap(([file, rules]) => ruleQueries(file, rules)),
];

test('promtool reads every scrape, and finds nothing to lint in the instant_logs_ metrics', () => {
  for (const [name, text] of scrapes) {
    const r = promtool.run(['check', 'metrics'], text);
    // 3 is lint findings: prom-client's own nodejs_active_*_total gauges have some; 1 is a parse error.
    assert.ok(r.status === 0 || r.status === 3, `${name}: promtool check metrics exited ${r.status}: ${r.output}`);
    assert.doesNotMatch(r.output, /instant_logs_/, name);
  }
});

test('every metric and label the dashboards and alerts read is exposed by a service', () => {
  const q = queries();
  assert.ok(q.length > 40, `only ${q.length} queries found`);
  assert.deepEqual(contractProblems(q, exposed()), []);
});

test('every instant_logs_ metric a service exposes is on a dashboard', () => {
  const families: Family[] = [...parsed().values()].flatMap((f) => [...f.values()]);
  const read = new Set(
    [...readDashboards()]
      .flatMap(([file, d]) => dashboardQueries(file, d))
      .map((q) => q.expr)
      .join('\n')
      .match(/instant_logs_\w+/g),
  );
  const names = (f: Family) => [
    f.name,
    ...(f.type === 'histogram' ? ['_bucket', '_sum', '_count'].map((s) => f.name + s) : []),
  ];
  const missing = families
    .filter((f) => f.name.startsWith('instant_logs_') && !names(f).some((n) => read.has(n)))
    .map((f) => f.name);
  assert.deepEqual([...new Set(missing)], []);
});

test('a renamed metric or label breaks the contract', () => {
  const scraped = exposed();
  const problems = contractProblems(
    [
      { where: 'renamed metric', expr: 'sum(rate(instant_logs_collector_records_accepted[5m]))' },
      {
        where: 'renamed label',
        expr: 'sum by (reason) (rate(instant_logs_collector_records_rejected_total{field="service"}[5m]))',
      },
      {
        where: 'renamed grouping',
        expr: 'sum by (le, handler) (rate(instant_logs_query_duration_seconds_bucket[5m]))',
      },
      { where: 'histogram without suffix', expr: 'rate(instant_logs_processor_insert_seconds[5m])' },
      {
        where: 'fine',
        expr: 'histogram_quantile(0.99, sum by (le, endpoint) (rate(instant_logs_query_duration_seconds_bucket{job="q", pod="p"}[5m])))',
      },
    ],
    scraped,
  );
  assert.deepEqual(problems, [
    'renamed metric: no service exposes instant_logs_collector_records_accepted',
    'renamed label: instant_logs_collector_records_rejected_total has no label field',
    'renamed grouping: groups by handler, which none of instant_logs_query_duration_seconds_bucket has',
    'histogram without suffix: no service exposes instant_logs_processor_insert_seconds',
  ]);
});
