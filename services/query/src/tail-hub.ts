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
  /** Joins the poller of the filter's tenant (starting one if none): from `since`, or from the poller's position. */
  subscribe(filter: LogFilter, since: string | undefined, subscriber: TailSubscriber): Promise<TailSubscription>;
  /** Pollers running: one per tenant with open tails, however many tails and filters it has. */
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
  /** Behind the poller (resumed with an older `since`, or joined while a read without its filter was in flight):
   * reads on its own until it has caught up. */
  lagging: boolean;
}

/** The tails of one filter. */
interface Group {
  filter: LogFilter;
  members: Set<Member>;
}

/** One tenant's poller: one read a tick for every filter its tails use. */
interface Poller {
  groups: Map<string, Group>;
  /** Settles once the poller has its first position. */
  started: Promise<unknown>;
  /** The position of its next read, once started; a joining tail starts here. */
  position: string | undefined;
  /** The filters of the read in flight, if one is. */
  reading: ReadonlySet<string> | undefined;
  stop: AbortController;
}

/** Pure: the same key for filters that select the same records (service and level are sets; q as parsed). */
export function tailKey(filter: LogFilter): string {
  const set = (values: readonly string[]) => [...new Set(values)].sort();
  const q = filter.query ? formatQuery(filter.query) : '';
  return JSON.stringify([set(filter.services), set(filter.levels), q, String(filter.fromNs), String(filter.toNs)]);
}

/**
 * Live tails that share work: one poller per tenant reads the store once per tick for all its tails' filters
 * (each row comes back with the filters it matches, by the same SQL as a search) and fans the rows out, so the
 * store's load grows with tenants tailing, not with open tails or their filters. Every store call goes through
 * the gate's poll slots.
 */
export function createTailHub(options: TailHubOptions): TailHub {
  const { store, gate, pollMs } = options;
  const page = options.page ?? 500;
  const pollers = new Map<string, Poller>();

  const remove = (tenant: string, poller: Poller) => {
    poller.stop.abort();
    if (pollers.get(tenant) === poller) pollers.delete(tenant);
  };
  const isEmpty = (poller: Poller) => poller.groups.size === 0;

  const deliverAfter = (member: Member, records: readonly TailRecord[]) => {
    let first = 0;
    while (first < records.length && comparePositions(records[first]!.position, member.position) <= 0) first++;
    if (first === records.length) return;
    const fresh = first === 0 ? records : records.slice(first);
    member.position = fresh.at(-1)!.position;
    member.subscriber.deliver(fresh);
  };

  async function run(tenant: string, poller: Poller): Promise<void> {
    const { groups, stop } = poller;
    const poll = <T>(call: () => Promise<T>) => gate.poll(call, stop.signal);
    try {
      await poller.started;
      while (!stop.signal.aborted) {
        const keys = [...groups.keys()];
        if (keys.length === 0) {
          // Its first tail joins just after the start; a poller still without tails a tick later has lost them.
          await delay(pollMs, undefined, { signal: stop.signal }).catch(() => undefined);
          if (isEmpty(poller)) return remove(tenant, poller);
          continue;
        }
        poller.reading = new Set(keys);
        const batch = await poll(() =>
          store.tailAny(
            tenant,
            keys.map((k) => groups.get(k)!.filter),
            poller.position!,
            page,
          ),
        );
        poller.reading = undefined;
        if (stop.signal.aborted) return;
        if (isEmpty(poller)) return remove(tenant, poller);
        // By key: a filter whose tails all left and came back during the read is a new group with the same key.
        keys.forEach((key, i) => {
          const group = groups.get(key);
          if (!group) return;
          const rows = batch.records.filter((r) => r.matches.includes(i));
          for (const member of group.members) if (!member.lagging) deliverAfter(member, rows);
        });
        const position = batch.position;
        poller.position = position;
        let more = batch.records.length === page;
        // A lagging member reads its own pages up to the poller's position, then joins it; the poller does not
        // move meanwhile, so nothing between the two is missed or sent twice.
        for (const group of [...groups.values()]) {
          for (const member of [...group.members]) {
            if (!member.lagging) continue;
            const own = await poll(() => store.tail({ ...group.filter, tenant }, member.position, page));
            if (stop.signal.aborted) return;
            const upTo = own.records.filter((r) => comparePositions(r.position, position) <= 0);
            deliverAfter(member, upTo);
            if (own.records.length < page || upTo.length < own.records.length) {
              if (comparePositions(member.position, position) < 0) member.position = position;
              member.lagging = false;
            } else {
              more = true;
            }
          }
        }
        if (!more) await delay(pollMs, undefined, { signal: stop.signal }).catch(() => undefined);
      }
    } catch (err) {
      if (stop.signal.aborted) return;
      remove(tenant, poller);
      for (const group of groups.values()) for (const member of group.members) member.subscriber.fail(err);
    }
  }

  return {
    async subscribe(filter, since, subscriber) {
      // A made-up `since` is refused before the tail is ready, not on its first poll.
      if (since !== undefined) comparePositions(since, since);
      const { tenant } = filter;
      let poller = pollers.get(tenant);
      if (!poller) {
        const stop = new AbortController();
        const created: Poller = {
          groups: new Map(),
          stop,
          position: undefined,
          reading: undefined,
          started: Promise.resolve(),
        };
        created.started = gate
          .poll(() => store.tailStart(), stop.signal)
          .then(
            (position) => (created.position = position),
            (err: unknown) => {
              // Its first tail hears of the failure from its own await below; the map must forget the poller too.
              remove(tenant, created);
              throw err;
            },
          );
        poller = created;
        pollers.set(tenant, created);
        void run(tenant, created);
      }
      const joined = poller;
      await joined.started;
      // The poller may have ended while this tail waited for its start: start another.
      if (joined.stop.signal.aborted) return this.subscribe(filter, since, subscriber);
      // Decided in the same turn as the member is added: the read in flight, if any, starts from exactly here,
      // and covers this tail only if its filter is among the read's.
      const key = tailKey(filter);
      const start = joined.position!;
      const missesRead = joined.reading !== undefined && !joined.reading.has(key);
      const member: Member = {
        subscriber,
        position: since ?? start,
        lagging: missesRead || (since !== undefined && comparePositions(since, start) < 0),
      };
      let group = joined.groups.get(key);
      if (!group) joined.groups.set(key, (group = { filter, members: new Set() }));
      const mine = group;
      mine.members.add(member);
      return {
        position: member.position,
        unsubscribe() {
          if (!mine.members.delete(member)) return;
          if (mine.members.size === 0 && joined.groups.get(key) === mine) joined.groups.delete(key);
          if (isEmpty(joined)) remove(tenant, joined);
        },
      };
    },
    get pollers() {
      return pollers.size;
    },
    close() {
      for (const [tenant, poller] of pollers) remove(tenant, poller);
    },
  };
}
