import { AlertRuleInput, type AlertRule } from '@instant-logs/schema';
import type { SavedObject } from '@instant-logs/store';
import { dashboardLink } from '../dashboard-link.ts';
import type { EvaluatedRule } from './payloads.ts';
import { INITIAL_STATE, type RuleState } from './state-machine.ts';

/** Pure: a stored rule as the evaluator uses it; undefined for one this build cannot read. */
export function ruleOf(tenant: string, o: SavedObject): EvaluatedRule | undefined {
  const parsed = AlertRuleInput.safeParse({ ...JSON.parse(o.body), name: o.name });
  return parsed.success ? { ...parsed.data, id: o.id, tenant } : undefined;
}

/** Pure: a stored state, or the initial one. */
export function stateOf(body: string | undefined): RuleState {
  return body ? { ...INITIAL_STATE, ...(JSON.parse(body) as Partial<RuleState>) } : { ...INITIAL_STATE };
}

/** Pure: the dashboard link of a rule's search over its window. */
export function ruleLink(rule: Pick<EvaluatedRule, 'q' | 'service' | 'level' | 'condition'>, base = ''): string {
  const { q, service, level } = rule;
  // A rise is seen against the window before, so its link shows both.
  const minutes = rule.condition.window_minutes * (rule.condition.op === 'rise' ? 2 : 1);
  return dashboardLink({ q, service, level, from: `now-${minutes}m`, to: 'now' }, base);
}

const isoOrNull = (ms: number | null) => (ms === null ? null : new Date(ms).toISOString());

/** Pure: a rule and its state as the API answers them. */
export function ruleAnswer(o: SavedObject, rule: EvaluatedRule, state: RuleState): AlertRule {
  const { id: _id, tenant: _tenant, ...input } = rule;
  return {
    ...input,
    id: o.id,
    created_at: new Date(o.createdAt).toISOString(),
    updated_at: new Date(o.updatedAt).toISOString(),
    status: {
      state: state.state,
      since: isoOrNull(state.since),
      value: state.value,
      previous: state.previous,
      evaluated_at: isoOrNull(state.evaluatedAt),
      notified: state.sent ? state.sent.key.split('@')[0]! : null,
    },
    url: ruleLink(rule),
  };
}
