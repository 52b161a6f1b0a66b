import { randomBytes } from 'node:crypto';
import type { FastifyBaseLogger } from 'fastify';
import { parseQuery } from '@instant-logs/query-language';
import { stateKey, type AlertStore, type LogStore, type SavedObjectStore } from '@instant-logs/store';
import { deliver, DEFAULT_DELIVERY, type DeliveryOptions } from './deliver.ts';
import { STATE_VALUE, type AlertMetrics } from './metrics.ts';
import { notification, type EvaluatedRule } from './payloads.ts';
import { ruleLink, ruleOf, stateOf } from './rules.ts';
import { conditionHolds, notificationKey, shouldNotify, step, type RuleState } from './state-machine.ts';
import type { AlertState } from '@instant-logs/schema';

/** How alert rules are evaluated; the defaults suit production, tests shorten the interval. */
export interface AlertingOptions {
  /** Between evaluations (ALERT_EVAL_INTERVAL_MS). */
  intervalMs: number;
  /** How often an Alertmanager is told again that an alert still fires (ALERT_RESEND_INTERVAL_MS). */
  resendMs: number;
  /** The dashboard's public address for links in notifications (PUBLIC_URL). */
  publicUrl: string;
  delivery: DeliveryOptions;
  /** Evaluate in this process at all (off: the API still serves rules). */
  evaluate: boolean;
}

export const DEFAULT_ALERTING: Readonly<AlertingOptions> = Object.freeze({
  intervalMs: 60_000,
  resendMs: 60_000,
  publicUrl: 'http://localhost:8082',
  delivery: DEFAULT_DELIVERY,
  evaluate: true,
});

export interface EvaluatorDeps {
  store: LogStore;
  saved: SavedObjectStore;
  alerts: AlertStore;
  metrics: AlertMetrics;
  clock: () => number;
  log: FastifyBaseLogger;
  options: AlertingOptions;
}

const LEASE = 'alert-evaluator';
// A lease of a few intervals, but never so short that a claim slower than the time left after one interval
// (a busy store) keeps every replica claiming and none evaluating. A replica that stops releases it early.
const MIN_LEASE_MS = 10_000;
const CONCURRENCY = 4;
const NS_PER_MS = 1_000_000n;

/** Counts a rule's records over its window ending at `toMs`. */
async function countOver(store: LogStore, rule: EvaluatedRule, toMs: number): Promise<number> {
  const toNs = BigInt(toMs) * NS_PER_MS;
  const filter = {
    tenant: rule.tenant,
    fromNs: toNs - BigInt(rule.condition.window_minutes) * 60_000n * NS_PER_MS,
    toNs,
    services: rule.service,
    levels: rule.level,
    query: parseQuery(rule.q),
  };
  // One bucket asked; whole minutes are read from the per-minute rollup when the search allows it.
  const histogram = await store.histogram(filter, 1);
  return histogram.buckets.reduce((n, b) => n + Object.values(b.counts).reduce((a, c) => a + c, 0), 0);
}

/** The rule's count now and, for a rise rule, the count of the window just before (else null). */
async function countsOf(store: LogStore, rule: EvaluatedRule, now: number) {
  if (rule.condition.op !== 'rise') return { value: await countOver(store, rule, now), previous: null };
  const windowMs = rule.condition.window_minutes * 60_000;
  const [value, previous] = await Promise.all([countOver(store, rule, now), countOver(store, rule, now - windowMs)]);
  return { value, previous };
}

/**
 * Evaluates every tenant's alert rules on an interval, in the one replica that holds the lease: counts,
 * steps each rule's state, records transitions, and delivers notifications not delivered yet.
 */
export function createEvaluator(deps: EvaluatorDeps) {
  const { options, metrics, log } = deps;
  const holder = `${process.pid}-${randomBytes(6).toString('hex')}`;
  const seen = new Set<string>();
  let timer: NodeJS.Timeout | undefined;
  let running: Promise<void> | undefined;
  let holding = false;
  const stopping = new AbortController();
  const leaseMs = Math.max(options.intervalMs * 3, MIN_LEASE_MS);

  /** The rule's next state, its transition recorded; undefined when there is nothing to evaluate. */
  async function advance(rule: EvaluatedRule, prev: RuleState, now: number): Promise<RuleState | undefined> {
    let value: number;
    let previous: number | null;
    let holds: boolean;
    let forMs: number;
    if (rule.enabled) {
      try {
        ({ value, previous } = await countsOf(deps.store, rule, now));
        metrics.evaluations.inc({ result: 'ok' });
      } catch (err) {
        metrics.evaluations.inc({ result: 'error' });
        log.warn({ err, rule: rule.id, tenant: rule.tenant }, 'Could not count the records of alert rule');
        return undefined;
      }
      holds = conditionHolds(rule.condition, value, previous ?? 0);
      forMs = rule.for_seconds * 1000;
    } else if (prev.state === 'firing' || prev.state === 'pending') {
      // A rule switched off while active ends: a firing one is resolved at the receiver.
      [value, previous, holds, forMs] = [prev.value ?? 0, prev.previous, false, 0];
    } else return undefined;
    const { next, transition } = step(prev, holds, value, now, forMs);
    if (transition) {
      await deps.alerts.addTransitions(rule.tenant, rule.id, [
        { ...transition, value, threshold: rule.condition.threshold },
      ]);
      log.info({ rule: rule.id, tenant: rule.tenant, ...transition, value, previous }, 'Alert rule changed state');
    }
    return { ...next, previous };
  }

  async function evaluateRule(
    rule: EvaluatedRule,
    prev: RuleState,
    now: number,
    signal: AbortSignal,
    leaseLost: AbortSignal,
  ): Promise<void> {
    let next = await advance(rule, prev, now);
    if (!next) return;
    if (shouldNotify(next, now, options.resendMs, rule.webhook.type)) {
      const target = notification(rule, next, ruleLink(rule, options.publicUrl));
      const result = await deliver(target, options.delivery, signal);
      metrics.notifications.inc({ result: result.ok ? 'sent' : 'failed' });
      if (result.ok) next = { ...next, sent: { key: notificationKey(next)!, at: now } };
      else
        log.warn(
          { rule: rule.id, tenant: rule.tenant, url: target.url, error: result.error, attempts: result.attempts },
          'Could not deliver an alert notification; the next evaluation retries',
        );
    }
    // A replica whose lease was taken meanwhile leaves the state to the new holder, which evaluates it again.
    // One that is stopping still holds it, and stores what it delivered so the next holder does not send it again.
    if (leaseLost.aborted) return;
    await deps.alerts.putState(rule.tenant, rule.id, JSON.stringify(next));
    setStateMetric(rule.tenant, rule.id, next.state);
  }

  function setStateMetric(tenant: string, rule: string, state: AlertState): void {
    seen.add(JSON.stringify([tenant, rule]));
    metrics.alertState.set({ tenant, rule }, STATE_VALUE[state]);
  }

  /** One evaluation of every rule, if this replica holds (or takes) the lease. */
  async function tick(): Promise<void> {
    const now = deps.clock();
    holding = await deps.alerts.claimLease(LEASE, holder, leaseMs, now);
    metrics.evaluator.set(holding ? 1 : 0);
    if (!holding) {
      metrics.alertState.reset();
      seen.clear();
      return;
    }
    // Slow webhooks can make one evaluation outlast the lease: it is renewed meanwhile, and if it is lost
    // the rest is left to the new holder rather than notified twice.
    const lost = new AbortController();
    const signal = AbortSignal.any([stopping.signal, lost.signal]);
    const heartbeat = keepLease(lost);
    try {
      await evaluateAll(now, signal, lost.signal);
    } finally {
      await heartbeat.stop();
    }
  }

  /** Renews the lease every third of it until stopped; a renewal under way is awaited so none lands after a release. */
  function keepLease(lost: AbortController): { stop(): Promise<void> } {
    let renewing: Promise<void> = Promise.resolve();
    const timer = setInterval(() => {
      renewing = renewing
        .then(() => deps.alerts.claimLease(LEASE, holder, leaseMs, deps.clock()))
        .catch((err: unknown) => {
          log.warn({ err }, 'Could not renew the alert evaluator lease');
          return false;
        })
        .then((held) => {
          if (held || lost.signal.aborted) return;
          holding = false;
          metrics.evaluator.set(0);
          log.warn('Lost the alert evaluator lease during an evaluation; leaving the rest to the new holder');
          lost.abort();
        });
    }, leaseMs / 3);
    timer.unref();
    return {
      stop: async () => {
        clearInterval(timer);
        await renewing;
      },
    };
  }

  async function evaluateAll(now: number, signal: AbortSignal, leaseLost: AbortSignal): Promise<void> {
    const [objects, states] = await Promise.all([deps.saved.listAll('alert_rule'), deps.alerts.states()]);
    const live = new Set<string>();
    const rules = objects.flatMap((o) => ruleOf(o.tenant, o) ?? []);
    for (const rule of rules) live.add(JSON.stringify([rule.tenant, rule.id]));
    // A few rules at a time: each waits mostly on ClickHouse (and a slow webhook must not hold up the rest).
    let next = 0;
    const worker = async () => {
      while (next < rules.length && !signal.aborted) {
        const rule = rules[next++]!;
        await evaluateRule(rule, stateOf(states.get(stateKey(rule.tenant, rule.id))), now, signal, leaseLost).catch(
          (err: unknown) => {
            metrics.evaluations.inc({ result: 'error' });
            log.warn(
              { err, rule: rule.id, tenant: rule.tenant },
              'Could not evaluate alert rule; retrying next interval',
            );
          },
        );
      }
    };
    await Promise.all(Array.from({ length: CONCURRENCY }, worker));
    if (signal.aborted) return;
    for (const key of seen) {
      if (live.has(key)) continue;
      const [tenant, rule] = JSON.parse(key) as [string, string];
      metrics.alertState.remove({ tenant, rule });
      seen.delete(key);
    }
  }

  const schedule = () => {
    if (stopping.signal.aborted) return;
    timer = setTimeout(() => {
      running = tick()
        .catch((err: unknown) => log.error({ err }, 'Alert evaluation failed; retrying at the next interval'))
        .finally(() => {
          running = undefined;
          schedule();
        });
    }, options.intervalMs);
    timer.unref();
  };

  return {
    tick,
    /** Evaluates every intervalMs from now on. */
    start(): void {
      schedule();
    },
    /** Stops after the evaluation under way (its webhook waits are cut short), and hands the lease on. */
    async stop(): Promise<void> {
      stopping.abort();
      clearTimeout(timer);
      await running;
      if (!holding) return;
      holding = false;
      await deps.alerts
        .releaseLease(LEASE, holder, deps.clock())
        .catch((err: unknown) =>
          log.warn({ err }, 'Could not release the alert evaluator lease; it expires on its own'),
        );
    },
  };
}
