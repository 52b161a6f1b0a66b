import type { AlertCondition, AlertState } from '@instant-logs/schema';

/** What the evaluator keeps per rule between evaluations (stored as JSON). Times are epoch ms. */
export interface RuleState {
  state: AlertState;
  /** When the rule entered `state`. */
  since: number | null;
  /** When the rule last started firing: the alert's startsAt. */
  firedAt: number | null;
  value: number | null;
  /** Rise rules: the count of the window before `value`'s. */
  previous: number | null;
  evaluatedAt: number | null;
  /** The last notification delivered: which state (`state@since`) and when. */
  sent: { key: string; at: number } | null;
}

export const INITIAL_STATE: Readonly<RuleState> = Object.freeze({
  state: 'inactive',
  since: null,
  firedAt: null,
  value: null,
  previous: null,
  evaluatedAt: null,
  sent: null,
});

export interface Transition {
  at: number;
  from: AlertState;
  to: AlertState;
}

/**
 * Pure: the rule's state after one evaluation. inactive/resolved → pending while the condition holds
 * for less than `forMs` → firing → resolved once it no longer holds; pending falls back to inactive.
 * With `forMs` 0 a rule fires on the first evaluation that holds.
 */
export function step(
  prev: RuleState,
  holds: boolean,
  value: number,
  now: number,
  forMs: number,
): { next: RuleState; transition: Transition | null } {
  const to = nextState(prev, holds, now, forMs);
  const base = { ...prev, value, evaluatedAt: now };
  if (to === prev.state) return { next: base, transition: null };
  return {
    next: { ...base, state: to, since: now, firedAt: to === 'firing' ? now : prev.firedAt },
    transition: { at: now, from: prev.state, to },
  };
}

function nextState(prev: RuleState, holds: boolean, now: number, forMs: number): AlertState {
  switch (prev.state) {
    case 'inactive':
    case 'resolved':
      if (!holds) return prev.state;
      return forMs > 0 ? 'pending' : 'firing';
    case 'pending':
      if (!holds) return 'inactive';
      return now - (prev.since ?? now) >= forMs ? 'firing' : 'pending';
    case 'firing':
      return holds ? 'firing' : 'resolved';
  }
}

/**
 * Pure: whether a rule's condition holds for the count of its window (`count`) and, for rise, of the
 * window before it (`previous`). A rise is `count > threshold` and `count ≥ factor × previous`, so a
 * template that was absent before rises as soon as its count passes the threshold.
 */
export function conditionHolds(condition: AlertCondition, count: number, previous = 0): boolean {
  const { op, threshold, factor } = condition;
  if (op === '>') return count > threshold;
  if (op === '<') return count < threshold;
  // Counts are integers and the factor a decimal: 1.1 × 10 is 11.000000000000002 in binary, which
  // must not keep 11 from being a rise.
  return count > threshold && count >= (factor ?? 1) * previous * (1 - 1e-12);
}

/** Pure: the key of the notification a state calls for (firing and resolved only); null for none. */
export function notificationKey(state: RuleState): string | null {
  return state.state === 'firing' || state.state === 'resolved' ? `${state.state}@${state.since}` : null;
}

/**
 * Pure: whether to notify now. Each firing and resolved state is delivered once (until delivered, every
 * evaluation retries); an Alertmanager also gets a firing alert again every `resendMs`, as Prometheus
 * does, so its resolve_timeout never resolves an alert that still fires.
 */
export function shouldNotify(state: RuleState, now: number, resendMs: number, type: 'alertmanager' | 'json'): boolean {
  const key = notificationKey(state);
  if (key === null) return false;
  if (state.sent?.key !== key) return true;
  return type === 'alertmanager' && state.state === 'firing' && now - state.sent.at >= resendMs;
}
