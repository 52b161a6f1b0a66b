import type { AlertRuleInput } from '@instant-logs/schema';
import type { RuleState } from './state-machine.ts';

/** A rule as the evaluator sees it: its input, id and tenant. */
export interface EvaluatedRule extends AlertRuleInput {
  id: string;
  tenant: string;
}

/** One alert of Alertmanager's POST /api/v2/alerts body (its `postableAlerts` array). */
export interface PostableAlert {
  labels: Record<string, string>;
  annotations: Record<string, string>;
  startsAt: string;
  endsAt?: string;
  generatorURL: string;
}

const iso = (ms: number | null) => new Date(ms ?? 0).toISOString();

/** Pure: one line saying what the rule watches. */
export function describeRule(rule: EvaluatedRule): string {
  const parts = [rule.q ? `records matching ${rule.q}` : 'all records'];
  if (rule.service.length > 0) parts.push(`service ${rule.service.join(' or ')}`);
  if (rule.level.length > 0) parts.push(`level ${rule.level.join(' or ')}`);
  const { op, threshold, window_minutes } = rule.condition;
  return `${parts.join(', ')}: count ${op} ${threshold} over the last ${window_minutes} min`;
}

/**
 * Pure: the rule's state as Alertmanager's postable alerts. Labels identify the alert (Alertmanager
 * groups and deduplicates on them); endsAt is set once resolved.
 */
export function alertmanagerPayload(rule: EvaluatedRule, state: RuleState, link: string): PostableAlert[] {
  const resolved = state.state === 'resolved';
  const count = state.value ?? 0;
  return [
    {
      labels: {
        alertname: rule.name,
        tenant: rule.tenant,
        rule_id: rule.id,
        severity: rule.severity,
        source: 'instant-logs',
      },
      annotations: {
        summary: `${rule.name}: ${count} records in the last ${rule.condition.window_minutes} min (${rule.condition.op} ${rule.condition.threshold})`,
        description: describeRule(rule),
        dashboard_url: link,
      },
      startsAt: iso(state.firedAt),
      ...(resolved ? { endsAt: iso(state.since) } : {}),
      generatorURL: link,
    },
  ];
}

/** Pure: the generic webhook's body: the rule, its state and the numbers behind it. */
export function jsonPayload(rule: EvaluatedRule, state: RuleState, link: string) {
  return {
    id: `${rule.id}:${state.state}:${state.since}`,
    rule: {
      id: rule.id,
      name: rule.name,
      tenant: rule.tenant,
      severity: rule.severity,
      q: rule.q,
      service: rule.service,
      level: rule.level,
    },
    state: state.state,
    value: state.value ?? 0,
    op: rule.condition.op,
    threshold: rule.condition.threshold,
    window_minutes: rule.condition.window_minutes,
    started_at: iso(state.firedAt),
    ended_at: state.state === 'resolved' ? iso(state.since) : null,
    evaluated_at: iso(state.evaluatedAt),
    summary: describeRule(rule),
    url: link,
  };
}

/** Pure: where and what to POST for a rule's state. */
export function notification(rule: EvaluatedRule, state: RuleState, link: string): { url: string; body: string } {
  if (rule.webhook.type === 'alertmanager') {
    const base = rule.webhook.url.replace(/\/+$/, '');
    return { url: `${base}/api/v2/alerts`, body: JSON.stringify(alertmanagerPayload(rule, state, link)) };
  }
  return { url: rule.webhook.url, body: JSON.stringify(jsonPayload(rule, state, link)) };
}
