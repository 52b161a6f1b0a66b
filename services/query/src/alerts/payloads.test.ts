import assert from 'node:assert/strict';
import { test } from 'node:test';
import { PostableAlerts } from './alertmanager-contract.ts';
import { alertmanagerPayload, jsonPayload, notification, type EvaluatedRule } from './payloads.ts';
import { INITIAL_STATE, type RuleState } from './state-machine.ts';

const rule: EvaluatedRule = {
  id: 'AbCdEfGhIjKlMnOpQrStUv',
  tenant: 'acme',
  name: 'Checkout errors',
  q: 'checkout failed',
  service: ['api'],
  level: ['error'],
  condition: { op: '>', threshold: 5, window_minutes: 5 },
  for_seconds: 60,
  severity: 'critical',
  webhook: { type: 'alertmanager', url: 'http://am.example:9093/' },
  enabled: true,
};
const firing: RuleState = {
  ...INITIAL_STATE,
  state: 'firing',
  since: 1_700_000_060_000,
  firedAt: 1_700_000_060_000,
  value: 9,
};
const link = 'https://logs.example/?q=checkout+failed&from=now-5m&to=now';

test("a firing alert matches Alertmanager's postableAlerts, labelled to identify the rule, without endsAt", () => {
  const payload = alertmanagerPayload(rule, firing, link);
  assert.ok(PostableAlerts.safeParse(payload).success, JSON.stringify(PostableAlerts.safeParse(payload).error));
  const [alert] = payload;
  assert.deepEqual(alert!.labels, {
    alertname: 'Checkout errors',
    tenant: 'acme',
    rule_id: rule.id,
    severity: 'critical',
    source: 'instant-logs',
  });
  assert.equal(alert!.startsAt, '2023-11-14T22:14:20.000Z');
  assert.equal(alert!.endsAt, undefined);
  assert.equal(alert!.generatorURL, link);
  assert.equal(alert!.annotations['dashboard_url'], link);
  assert.match(alert!.annotations['summary']!, /9 records in the last 5 min \(> 5\)/);
});

test('a resolved alert carries endsAt, when the condition stopped', () => {
  const resolved = { ...firing, state: 'resolved' as const, since: 1_700_000_360_000 };
  const payload = alertmanagerPayload(rule, resolved, link);
  assert.ok(PostableAlerts.safeParse(payload).success);
  assert.equal(payload[0]!.endsAt, '2023-11-14T22:19:20.000Z');
});

test("the Alertmanager schema refuses what Alertmanager would: no labels, bad label names, times that aren't RFC 3339", () => {
  const bad = [
    [{ annotations: {} }],
    [{ labels: {} }],
    [{ labels: { 'rule-id': 'x' } }],
    [{ labels: { a: 'b' }, startsAt: '14/11/2023' }],
    [{ labels: { a: 'b' }, generatorURL: 'not a url' }],
  ];
  for (const payload of bad) assert.equal(PostableAlerts.safeParse(payload).success, false, JSON.stringify(payload));
});

test("Alertmanager is posted at its base URL's /api/v2/alerts, the generic webhook at its own URL", () => {
  assert.equal(notification(rule, firing, link).url, 'http://am.example:9093/api/v2/alerts');
  const json = { ...rule, webhook: { type: 'json' as const, url: 'http://hooks.example/alerts?x=1' } };
  assert.equal(notification(json, firing, link).url, 'http://hooks.example/alerts?x=1');
});

test('the generic webhook says rule, state, value, threshold, window, times and link', () => {
  const body = jsonPayload(rule, firing, link);
  assert.equal(body.state, 'firing');
  assert.equal(body.value, 9);
  assert.deepEqual([body.op, body.threshold, body.window_minutes], ['>', 5, 5]);
  assert.equal(body.started_at, '2023-11-14T22:14:20.000Z');
  assert.equal(body.ended_at, null);
  assert.equal(body.url, link);
  assert.equal(body.rule.id, rule.id);
  assert.equal(body.id, `${rule.id}:firing:1700000060000`);
});

const riseRule: EvaluatedRule = {
  ...rule,
  name: 'Refund failures rising',
  q: 'pattern:"refund <NUM> failed"',
  service: [],
  level: [],
  condition: { op: 'rise', factor: 3, threshold: 10, window_minutes: 5 },
};
const rising: RuleState = { ...firing, value: 45, previous: 12 };

test('a rise alert for Alertmanager states the count, the count before and the factor', () => {
  const payload = alertmanagerPayload(riseRule, rising, link);
  assert.ok(PostableAlerts.safeParse(payload).success, JSON.stringify(PostableAlerts.safeParse(payload).error));
  const { annotations } = payload[0]!;
  assert.equal(
    annotations['summary'],
    'Refund failures rising: 45 records in the last 5 min, 12 in the 5 min before (rise ×3, > 10)',
  );
  assert.equal(
    annotations['description'],
    'records matching pattern:"refund <NUM> failed": count rises ×3 (and > 10) over the last 5 min against the 5 min before',
  );
  assert.deepEqual([annotations['previous_count'], annotations['factor']], ['12', '3']);
});

test('the generic webhook carries the previous count and factor of a rise rule, null for a threshold rule', () => {
  const body = jsonPayload(riseRule, rising, link);
  assert.deepEqual([body.op, body.value, body.previous_value, body.factor, body.threshold], ['rise', 45, 12, 3, 10]);
  const plain = jsonPayload(rule, firing, link);
  assert.deepEqual([plain.previous_value, plain.factor], [null, null]);
  assert.equal(alertmanagerPayload(rule, firing, link)[0]!.annotations['factor'], undefined);
});
