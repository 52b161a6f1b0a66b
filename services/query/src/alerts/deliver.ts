import { setTimeout as delay } from 'node:timers/promises';

export interface DeliveryOptions {
  /** Per attempt (ALERT_WEBHOOK_TIMEOUT_MS). */
  timeoutMs: number;
  /** Attempts within one evaluation; the next evaluation tries again if all fail. */
  attempts: number;
  /** Wait before the second attempt; doubled for each next one. */
  backoffMs: number;
}

export const DEFAULT_DELIVERY: Readonly<DeliveryOptions> = Object.freeze({
  timeoutMs: 5_000,
  attempts: 3,
  backoffMs: 500,
});

export type DeliveryResult = { ok: true; attempts: number } | { ok: false; attempts: number; error: string };

/**
 * POSTs a JSON body, retrying network errors, timeouts, 429 and 5xx with exponential backoff. A 4xx
 * other than 429 is the receiver refusing the body: not retried now (the next evaluation tries again).
 */
export async function deliver(
  target: { url: string; body: string },
  options: DeliveryOptions,
  signal?: AbortSignal,
): Promise<DeliveryResult> {
  let error = 'not attempted';
  for (let attempt = 1; attempt <= options.attempts; attempt++) {
    if (attempt > 1) await delay(options.backoffMs * 2 ** (attempt - 2), undefined, signal ? { signal } : {});
    try {
      const res = await fetch(target.url, {
        method: 'POST',
        headers: { 'content-type': 'application/json', 'user-agent': 'instant-logs-alerts' },
        body: target.body,
        signal: AbortSignal.any([AbortSignal.timeout(options.timeoutMs), ...(signal ? [signal] : [])]),
        redirect: 'error',
      });
      await res.body?.cancel();
      if (res.ok) return { ok: true, attempts: attempt };
      error = `HTTP ${res.status}`;
      if (res.status < 500 && res.status !== 429) return { ok: false, attempts: attempt, error };
    } catch (err) {
      if (signal?.aborted) return { ok: false, attempts: attempt, error: 'stopped' };
      error =
        err instanceof Error ? `${err.name}: ${(err.cause as Error | undefined)?.message ?? err.message}` : String(err);
    }
  }
  return { ok: false, attempts: options.attempts, error };
}
