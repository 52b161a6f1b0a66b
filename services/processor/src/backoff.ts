/** Retry pacing: exponential growth from `initialMs` to `maxMs`. */
export interface BackoffPolicy {
  initialMs: number;
  maxMs: number;
}

/** Pure given `random`: the delay before retry `attempt` (1-based), with full jitter so retrying clients spread out. */
export function backoffDelay(policy: BackoffPolicy, attempt: number, random: () => number = Math.random): number {
  const ceiling = Math.min(policy.maxMs, policy.initialMs * 2 ** Math.min(attempt - 1, 30));
  return Math.round(ceiling / 2 + random() * (ceiling / 2));
}
