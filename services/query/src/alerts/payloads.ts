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

/** Pure: the condition in words, e.g. "count > 3" or "count rises ×3 (and > 10)". */
function describeCondition(condition: EvaluatedRule['condition']): string {
  const { op, threshold, factor } = condition;
  return op === 'rise' ? `count rises ×${factor} (and > ${threshold})` : `count ${op} ${threshold}`;
}

/** Pure: one line saying what the rule watches. */
export function describeRule(rule: EvaluatedRule): string {
  const parts = [rule.q ? `records matching ${rule.q}` : 'all records'];
  if (rule.service.length > 0) parts.push(`service ${rule.service.join(' or ')}`);
  if (rule.level.length > 0) parts.push(`level ${rule.level.join(' or ')}`);
  const { op, window_minutes } = rule.condition;
  const than = op === 'rise' ? ` against the ${window_minutes} min before` : '';
  return `${parts.join(', ')}: ${describeCondition(rule.condition)} over the last ${window_minutes} min${than}`;
}

/** Pure: the counts behind a notification in words. */
function summaryOf(rule: EvaluatedRule, state: RuleState): string {
  const { op, threshold, factor, window_minutes } = rule.condition;
  const counted = `${rule.name}: ${state.value ?? 0} records in the last ${window_minutes} min`;
  if (op !== 'rise') return `${counted} (${op} ${threshold})`;
  return `${counted}, ${state.previous ?? 0} in the ${window_minutes} min before (rise ×${factor}, > ${threshold})`;
}

/**
 * Pure: the rule's state as Alertmanager's postable alerts. Labels identify the alert (Alertmanager
 * groups and deduplicates on them); endsAt is set once resolved.
 */
export function alertmanagerPayload(rule: EvaluatedRule, state: RuleState, link: string): PostableAlert[] {
  const resolved = state.state === 'resolved';
  const rise = rule.condition.op === 'rise';
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
        summary: summaryOf(rule, state),
        description: describeRule(rule),
        dashboard_url: link,
        ...(rise ? { previous_count: String(state.previous ?? 0), factor: String(rule.condition.factor) } : {}),
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
    // Rise rules: the window before's count and the factor the count is held to; null for the others.
    previous_value: rule.condition.op === 'rise' ? (state.previous ?? 0) : null,
    factor: rule.condition.factor ?? null,
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
