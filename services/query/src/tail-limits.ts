import { z } from 'zod';
import type { QueryNode } from '@instant-logs/query-language';
import { QUERY_ERRORS } from './errors.ts';

/** What live tails may cost: open sockets, filter size, and store reads at once (a tenant's tails share one read a poll). */
export interface TailLimits {
  /** Open tails per tenant (TAIL_MAX_PER_TENANT). */
  maxPerTenant: number;
  /** Open tails in this process, all tenants together (TAIL_MAX_TOTAL). */
  maxTotal: number;
  /** Clauses in a tail's filter: terms of `q` plus service and level values (TAIL_MAX_CLAUSES). */
  maxClauses: number;
  /** Tail polls running on the store at once, shared by every tail (TAIL_POLL_CONCURRENCY). */
  pollConcurrency: number;
}

export const DEFAULT_TAIL_LIMITS: Readonly<TailLimits> = Object.freeze({
  maxPerTenant: 10,
  maxTotal: 100,
  maxClauses: 20,
  pollConcurrency: 2,
});

/** The live-tail limits' environment, shared by the query service and the embedded process. */
export const TailEnv = {
  TAIL_MAX_PER_TENANT: z.coerce.number().int().min(1).default(DEFAULT_TAIL_LIMITS.maxPerTenant),
  TAIL_MAX_TOTAL: z.coerce.number().int().min(1).default(DEFAULT_TAIL_LIMITS.maxTotal),
  TAIL_MAX_CLAUSES: z.coerce.number().int().min(1).max(200).default(DEFAULT_TAIL_LIMITS.maxClauses),
  TAIL_POLL_CONCURRENCY: z.coerce.number().int().min(1).max(64).default(DEFAULT_TAIL_LIMITS.pollConcurrency),
};

/** Pure: tail limits from the parsed environment. */
export function tailLimitsFromEnv(c: z.infer<z.ZodObject<typeof TailEnv>>): TailLimits {
  return {
    maxPerTenant: c.TAIL_MAX_PER_TENANT,
    maxTotal: c.TAIL_MAX_TOTAL,
    maxClauses: c.TAIL_MAX_CLAUSES,
    pollConcurrency: c.TAIL_POLL_CONCURRENCY,
  };
}

export const TAIL_REFUSALS = ['tenant_limit', 'total_limit', 'filter_too_complex'] as const;
/** Why a tail was refused; a metric label. */
export type TailRefusal = (typeof TAIL_REFUSALS)[number];

/** A tail's place among the open ones, given back when it closes. */
export interface TailSeat {
  release(): void;
}

export interface TailGate {
  /** Throws 400 TAIL_FILTER_TOO_COMPLEX when the filter has more clauses than a tail may run. */
  checkFilter(filter: {
    query: QueryNode | null;
    services?: readonly string[] | undefined;
    levels?: readonly string[] | undefined;
  }): void;
  /** A seat for the tenant's new tail, or 429 TOO_MANY_TAILS naming the limit. */
  take(tenant: string): TailSeat;
  /** Runs one store call of a tail when a poll slot is free (first come, first served); skipped if `signal` aborted meanwhile. */
  poll<T>(run: () => Promise<T>, signal: AbortSignal): Promise<T>;
}

/** Counts open tails per tenant and in total, and shares a few poll slots among all of them. */
export function createTailGate(limits: TailLimits, refused: (reason: TailRefusal) => void = () => undefined): TailGate {
  const perTenant = new Map<string, number>();
  let total = 0;
  let freeSlots = limits.pollConcurrency;
  const waiting: (() => void)[] = [];

  const tooMany = (reason: string) => QUERY_ERRORS.TOO_MANY_TAILS({ reason });

  return {
    checkFilter(filter) {
      const clauses = countClauses(filter.query) + (filter.services?.length ?? 0) + (filter.levels?.length ?? 0);
      if (clauses > limits.maxClauses) {
        refused('filter_too_complex');
        throw QUERY_ERRORS.TAIL_FILTER_TOO_COMPLEX({ max: limits.maxClauses, clauses, field: 'q' });
      }
    },
    take(tenant) {
      const own = perTenant.get(tenant) ?? 0;
      if (own >= limits.maxPerTenant) {
        refused('tenant_limit');
        throw tooMany(`tenant "${tenant}" has ${own} live tails open, its limit (TAIL_MAX_PER_TENANT)`);
      }
      if (total >= limits.maxTotal) {
        refused('total_limit');
        throw tooMany(`the service has ${total} live tails open, its limit (TAIL_MAX_TOTAL)`);
      }
      perTenant.set(tenant, own + 1);
      total++;
      let released = false;
      return {
        release() {
          if (released) return;
          released = true;
          total--;
          const left = (perTenant.get(tenant) ?? 1) - 1;
          if (left > 0) perTenant.set(tenant, left);
          else perTenant.delete(tenant);
        },
      };
    },
    async poll(run, signal) {
      if (freeSlots > 0) freeSlots--;
      else await new Promise<void>((resolve) => waiting.push(resolve));
      try {
        signal.throwIfAborted();
        return await run();
      } finally {
        // The slot passes straight to the next waiter, so a newcomer cannot overtake the queue.
        const next = waiting.shift();
        if (next) next();
        else freeSlots++;
      }
    },
  };
}

/** Pure: the leaf clauses (terms, phrases, comparisons) of a parsed query. */
export function countClauses(node: QueryNode | null): number {
  if (!node) return 0;
  if (node.kind === 'and' || node.kind === 'or') return node.children.reduce((n, child) => n + countClauses(child), 0);
  if (node.kind === 'not') return countClauses(node.child);
  return 1;
}
