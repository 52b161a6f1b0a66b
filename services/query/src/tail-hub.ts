import { setTimeout as delay } from 'node:timers/promises';
import { formatQuery } from '@instant-logs/query-language';
import { comparePositions, type LogFilter, type LogStore, type TailRecord } from '@instant-logs/store';
import type { TailGate } from './tail-limits.ts';

/** What a tail hands the hub: where new records go, and how it hears that its poller failed. */
export interface TailSubscriber {
  /** New matching records, in the store's tail order (ingestion, then id). */
  deliver(records: readonly TailRecord[]): void;
  fail(err: unknown): void;
}

export interface TailSubscription {
  /** Where this tail starts: after it, every matching record is delivered exactly once. */
  position: string;
  unsubscribe(): void;
}

export interface TailHub {
  /** Joins the poller of the filter (starting one if none): from `since`, or from the poller's position. */
  subscribe(filter: LogFilter, since: string | undefined, subscriber: TailSubscriber): Promise<TailSubscription>;
  /** Distinct pollers running: one per tenant and filter, however many tails share it. */
  readonly pollers: number;
  close(): void;
}

export interface TailHubOptions {
  store: LogStore;
  gate: TailGate;
  pollMs: number;
  /** Records read by one store call. */
  page?: number;
}

interface Member {
  subscriber: TailSubscriber;
  /** The last position delivered (or the start): only records after it are this member's. */
  position: string;
  /** Behind the poller (resumed with an older `since`): read on its own until it has caught up. */
  lagging: boolean;
}

interface Poller {
  filter: LogFilter;
  /** Settles once the poller has its first position. */
  started: Promise<unknown>;
  /** The position of its next read, once started; a joining tail starts here. */
  position: string | undefined;
  members: Set<Member>;
  stop: AbortController;
}

/** Pure: the same key for filters that select the same records (service and level are sets; q as parsed). */
export function tailKey(filter: LogFilter): string {
  const set = (values: readonly string[]) => [...new Set(values)].sort();
  const q = filter.query ? formatQuery(filter.query) : '';
  return JSON.stringify([filter.tenant, set(filter.services), set(filter.levels), q]);
}

/**
 * Live tails that share work: one poller per distinct (tenant, filter) reads the store once per tick and
 * fans the rows out, so the store's load grows with distinct filters, not with open tails. Every store
 * call still goes through the gate's poll slots.
 */
export function createTailHub(options: TailHubOptions): TailHub {
  const { store, gate, pollMs } = options;
  const page = options.page ?? 500;
  const pollers = new Map<string, Poller>();

  const remove = (key: string, poller: Poller) => {
    poller.stop.abort();
    if (pollers.get(key) === poller) pollers.delete(key);
  };

  const deliverAfter = (member: Member, records: readonly TailRecord[]) => {
    let first = 0;
    while (first < records.length && comparePositions(records[first]!.position, member.position) <= 0) first++;
    if (first === records.length) return;
    const fresh = first === 0 ? records : records.slice(first);
    member.position = fresh.at(-1)!.position;
    member.subscriber.deliver(fresh);
  };

  async function run(key: string, poller: Poller): Promise<void> {
    const { filter, members, stop } = poller;
    const read = (after: string) => gate.poll(() => store.tail(filter, after, page), stop.signal);
    try {
      await poller.started;
      while (!stop.signal.aborted) {
        const batch = await read(poller.position!);
        if (stop.signal.aborted) return;
        if (members.size === 0) return remove(key, poller);
        for (const member of members) if (!member.lagging) deliverAfter(member, batch.records);
        const position = batch.position;
        poller.position = position;
        let more = batch.records.length === page;
        // A member resumed from an older position reads its own pages up to the poller's position, then joins it;
        // the poller does not move meanwhile, so nothing between the two is missed or sent twice.
        for (const member of [...members]) {
          if (!member.lagging) continue;
          const own = await read(member.position);
          if (stop.signal.aborted) return;
          const upTo = own.records.filter((r) => comparePositions(r.position, position) <= 0);
          deliverAfter(member, upTo);
          if (own.records.length < page || upTo.length < own.records.length) {
            member.position = position;
            member.lagging = false;
          } else {
            more = true;
          }
        }
        if (!more) await delay(pollMs, undefined, { signal: stop.signal }).catch(() => undefined);
      }
    } catch (err) {
      if (stop.signal.aborted) return;
      remove(key, poller);
      for (const member of members) member.subscriber.fail(err);
    }
  }

  return {
    async subscribe(filter, since, subscriber) {
      // A made-up `since` is refused before the tail is ready, not on its first poll.
      if (since !== undefined) comparePositions(since, since);
      const key = tailKey(filter);
      let poller = pollers.get(key);
      if (!poller) {
        const stop = new AbortController();
        const created: Poller = { filter, members: new Set(), stop, position: undefined, started: Promise.resolve() };
        created.started = gate.poll(() => store.tailStart(), stop.signal).then(
          (position) => (created.position = position),
          (err: unknown) => {
            // Its first tail hears of the failure from its own await below; the map must forget the poller too.
            remove(key, created);
            throw err;
          },
        );
        poller = created;
        pollers.set(key, created);
        void run(key, created);
      }
      const joined = poller;
      await joined.started;
      // The poller may have ended while this tail waited for its start: start another.
      if (joined.stop.signal.aborted) return this.subscribe(filter, since, subscriber);
      // Read in the same turn as the member is added: the read in flight, if any, starts from exactly here.
      const start = joined.position!;
      const member: Member = { subscriber, position: since ?? start, lagging: since !== undefined && comparePositions(since, start) < 0 };
      joined.members.add(member);
      return {
        position: member.position,
        unsubscribe() {
          joined.members.delete(member);
          if (joined.members.size === 0) remove(key, joined);
        },
      };
    },
    get pollers() {
      return pollers.size;
    },
    close() {
      for (const [key, poller] of pollers) remove(key, poller);
    },
  };
}
