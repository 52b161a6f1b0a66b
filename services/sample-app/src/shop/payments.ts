import { ms, type Attributes, type Request } from '../request.ts';

const S = 'payments';
const PROVIDER_TIMEOUT_MS = 3000;
const DECLINE_CODES = ['card_declined', 'insufficient_funds', 'expired_card', 'do_not_honor', 'incorrect_cvc'] as const;

export type ChargeOutcome = 'authorized' | 'declined' | 'failed';

/** Charges an order with retries; returns the time spent and the outcome. */
export function charge(
  req: Request,
  at: number,
  order: string,
  amount: string,
): { ms: number; outcome: ChargeOutcome } {
  const { rng } = req;
  const provider = rng.chance(0.85) ? 'stripe' : 'paypal';
  const attrs = { order: { id: order }, payment: { provider, amount } };
  // The outage is stripe's: while it lasts the breaker is mostly open, and probes time out.
  if (req.incident === 'payments-outage' && provider === 'stripe') {
    if (rng.chance(0.55)) {
      req.log(S, at + 0.3, 'error', `Charge rejected for ${order}: circuit breaker open for stripe`, attrs);
      return { ms: 0.3, outcome: 'failed' };
    }
    if (rng.chance(0.9)) return failAfterRetries(req, at, order, provider, attrs);
  }
  let t = 0;
  if (rng.chance(0.01)) {
    t += rng.latency(250, 0.5);
    req.log(
      S,
      at + t,
      'warn',
      `Provider ${provider} returned 502 for ${order}, retrying in 200ms (attempt 1/3)`,
      attrs,
    );
    t += 200;
  }
  t += rng.latency(380, 0.4);
  // One draw decides the answer (so a seed's traffic is the same as before failures were added): outside any
  // outage a provider still fails a charge now and then, one or two errors a minute at the default rate.
  const answer = rng.float();
  if (answer < 0.015) {
    req.log(
      S,
      at + t,
      'error',
      `Charge failed for ${order}: ${provider} returned 500 internal_error, charge state unknown, not retried`,
      attrs,
    );
    return { ms: t, outcome: 'failed' };
  }
  if (answer < 0.06) {
    req.log(S, at + t, 'warn', `Payment declined by ${provider} for ${order}: ${rng.pick(DECLINE_CODES)}`, attrs);
    return { ms: t, outcome: 'declined' };
  }
  req.log(S, at + t, 'info', `Charge authorized for ${order} via ${provider} in ${Math.round(t)}ms`, {
    ...attrs,
    duration_ms: ms(t),
  });
  return { ms: t, outcome: 'authorized' };
}

function failAfterRetries(
  req: Request,
  at: number,
  order: string,
  provider: string,
  attrs: Attributes,
): { ms: number; outcome: ChargeOutcome } {
  let t = 0;
  for (let attempt = 1; attempt <= 3; attempt++) {
    t += PROVIDER_TIMEOUT_MS;
    req.log(
      S,
      at + t,
      'warn',
      `Provider ${provider} timed out after ${PROVIDER_TIMEOUT_MS}ms for ${order} (attempt ${attempt}/3)`,
      attrs,
    );
    t += 100 * 2 ** attempt; // exponential backoff between attempts
  }
  req.log(S, at + t, 'error', `Charge failed for ${order}: ${provider} unavailable after 3 attempts`, attrs);
  return { ms: t, outcome: 'failed' };
}

/** Logs the service's start: its health check finds the backup provider unreachable and routes around it. */
export function started(req: Request): void {
  req.log(S, 0, 'info', 'Payments service started: providers stripe, paypal', { providers: 'stripe,paypal' });
  req.log(
    S,
    2,
    'error',
    'Provider health check failed for paypal: TLS handshake timed out after 2000ms; routing charges to stripe',
    {
      payment: { provider: 'paypal' },
    },
  );
}

/** Logs a refund issued by the back office: an untraced background event. */
export function refund(req: Request, order: string): void {
  req.log(S, 0, 'info', `Refund issued for ${order}: ${req.rng.int(5, 120)}.${req.rng.int(10, 99)} EUR`, {
    order: { id: order },
  });
}

/** Logs the breaker opening as the provider starts failing. */
export function breakerOpened(req: Request): void {
  req.log(S, 0, 'error', 'Circuit breaker stripe opened after 20 consecutive failures', {
    breaker: { name: 'stripe', state: 'open' },
  });
}

/** Logs the breaker probing and closing as the provider recovers. */
export function breakerClosed(req: Request): void {
  req.log(S, 0, 'info', 'Circuit breaker stripe half-open: probing', {
    breaker: { name: 'stripe', state: 'half_open' },
  });
  req.log(S, 420, 'info', 'Circuit breaker stripe closed: probe succeeded', {
    breaker: { name: 'stripe', state: 'closed' },
  });
}
