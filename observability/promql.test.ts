import { test } from 'node:test';
import assert from 'node:assert/strict';
import { metricNames, promqlReferences, variableQueryExpr } from './promql.ts';

const cases: [string, string, string[]][] = [
  ['a bare selector', 'up', ['up']],
  [
    'a selector with matchers holding braces and commas in values',
    'a_total{route="/x{y}", status=~"5..,"}',
    ['a_total'],
  ],
  ['functions, ranges and Grafana variables', 'rate(a_total{job=~"$job"}[$__rate_interval])', ['a_total']],
  [
    'aggregations with a leading or trailing grouping clause',
    'sum by (le) (rate(a_bucket[5m])) + sum(rate(b_total[5m])) by (reason)',
    ['a_bucket', 'b_total'],
  ],
  ['vector matching with label lists', 'a * on (partition) group_left (reason) b', ['a', 'b']],
  [
    'keywords, numbers, durations and offsets',
    'a > bool 1e3 and b offset 1h30m or c unless d > Inf',
    ['a', 'b', 'c', 'd'],
  ],
  ['strings as function arguments', 'label_replace(rate(a[5m]), "endpoint", "$1", "exported_endpoint", "(.+)")', ['a']],
  [
    'a histogram quantile',
    'histogram_quantile(0.99, sum by (le, endpoint) (rate(x_seconds_bucket{a="b"}[5m])))',
    ['x_seconds_bucket'],
  ],
  ['comments', 'a # b\n+ c', ['a', 'c']],
  ['recording-rule names with colons', 'job:a:rate5m', ['job:a:rate5m']],
];

for (const [what, expr, names] of cases) {
  test(`metricNames finds the metrics in ${what}`, () => assert.deepEqual(metricNames(expr), names));
}

test('promqlReferences reports the labels each selector matches and the labels grouped by', () => {
  const refs = promqlReferences(
    'sum by (le, endpoint) (rate(x_bucket{job=~"$job", status!="200"}[5m])) / on(job) group_left y{partition="0"}',
  );
  assert.deepEqual(refs.selectors, [
    { metric: 'x_bucket', labels: ['job', 'status'] },
    { metric: 'y', labels: ['partition'] },
  ]);
  assert.deepEqual(refs.grouping, ['le', 'endpoint', 'job']);
});

test('variableQueryExpr takes the selector out of label_values and the expression out of query_result', () => {
  assert.equal(
    variableQueryExpr('label_values(a_total{namespace=~"$namespace"}, job)'),
    'a_total{namespace=~"$namespace"}',
  );
  assert.equal(variableQueryExpr('query_result(sum(a))'), 'sum(a)');
  assert.equal(variableQueryExpr('label_values(job)'), undefined);
});

test('an unterminated string or block is an error, not a silent miss', () => {
  assert.throws(() => metricNames('a{b="c}'), /cannot tokenize PromQL/);
  assert.throws(() => metricNames('rate(a[5m)'), /cannot tokenize PromQL/);
});
