import { ms, type Request } from '../request.ts';

const S = 'email-worker';

/** Sends the confirmation for an order queued at `at`, once the consumer gets to it. */
export function sendConfirmation(req: Request, at: number, order: string): void {
  const { rng } = req;
  // During a backlog the consumer is minutes behind, and the SMTP relay throttles what it does send.
  const backlog = req.incident === 'email-backlog';
  const start = at + (backlog ? rng.int(10_000, 60_000) : rng.latency(800, 0.6));
  const attrs = { order: { id: order }, email: { template: 'order_confirmed' } };
  if (rng.chance(backlog ? 0.2 : 0.01)) {
    req.log(S, start + 150, 'warn', 'SMTP 421 from smtp.relay.internal: try again later, retrying in 30s', attrs);
    if (rng.chance(backlog ? 0.5 : 0.1)) {
      req.log(S, start + 180, 'error', `Dead-lettered confirmation for ${order} after 5 attempts`, attrs);
      return;
    }
  }
  const took = rng.latency(180, 0.4);
  req.log(S, start + took, 'info', `Sent order_confirmed to ${req.user} in ${ms(took)}ms`, {
    ...attrs,
    duration_ms: ms(took),
  });
}

/** Logs the consumer's lag on the order topic: an untraced background event. */
export function reportLag(req: Request): void {
  if (req.incident === 'email-backlog') {
    req.log(S, 0, 'warn', `Consumer lag on orders.email: ${req.rng.int(5000, 40000)} messages (threshold 5000)`, {
      kafka: { topic: 'orders.email' },
    });
    if (req.rng.chance(0.4)) {
      req.log(S, 2, 'error', `Offset commit failed for orders.email/${req.rng.int(0, 5)}: rebalance in progress`, {
        kafka: { topic: 'orders.email' },
      });
    }
  } else {
    req.log(S, 0, 'debug', `Consumer lag on orders.email: ${req.rng.int(0, 40)} messages`, {
      kafka: { topic: 'orders.email' },
    });
  }
}

/** Logs the consumer group losing its partitions as a backlog starts. */
export function backlogStarted(req: Request): void {
  req.log(S, 0, 'error', 'Consumer group email-worker rebalance timed out; partitions 0-5 unassigned', {
    kafka: { topic: 'orders.email' },
  });
}

/** Logs the consumer catching up. */
export function backlogEnded(req: Request): void {
  req.log(S, 0, 'info', 'Consumer caught up on orders.email (lag 0)', { kafka: { topic: 'orders.email' } });
}
