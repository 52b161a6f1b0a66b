import { SHARDS_AT_ONCE } from './cluster.ts';
import { assertIdentifier } from './migrations.ts';
import { SAVED_TABLES } from './saved-objects-migration.ts';
import { versionClock } from './saved-objects-store.ts';
import type { ClickHouseTransport } from './transport.ts';

/** One change of an alert rule's state. `at` is epoch ms. */
export interface StoredTransition {
  at: number;
  from: string;
  to: string;
  value: number;
  threshold: number;
}

/** Alert rules' evaluation state (opaque JSON per rule), their history, and the evaluator's lease. */
export interface AlertStore {
  /** The stored state of each rule of `tenant` (every tenant's when undefined), keyed `tenant/ruleId`. */
  states(tenant?: string): Promise<Map<string, string>>;
  putState(tenant: string, ruleId: string, body: string): Promise<void>;
  addTransitions(tenant: string, ruleId: string, transitions: readonly StoredTransition[]): Promise<void>;
  /** Newest first. */
  history(tenant: string, ruleId: string, limit: number): Promise<StoredTransition[]>;
  /**
   * Renews the lease `name` held by `holder` until nowMs + ttlMs (true), or claims it when it is free or
   * expired (false: the claim holds from the next call, if no later claim beat it). Never takes a lease
   * another holder still holds.
   */
  claimLease(name: string, holder: string, ttlMs: number, nowMs: number): Promise<boolean>;
  /** Who holds the lease `name` as its newest claim says, and until when (epoch ms); undefined if never claimed. */
  lease(name: string): Promise<{ holder: string; expiresAt: number } | undefined>;
  /** Ends the lease `name` at nowMs if `holder` still holds it, so another may claim it at once. */
  releaseLease(name: string, holder: string, nowMs: number): Promise<void>;
}

/** The key of a rule's state in AlertStore.states. */
export const stateKey = (tenant: string, ruleId: string): string => `${tenant}/${ruleId}`;

/** Builds the alert store over a transport, in `database` (migrated to version 4 or later). */
export function createAlertStore(
  transport: ClickHouseTransport,
  database: string,
  nextVersion: () => bigint = versionClock(),
): AlertStore {
  assertIdentifier(database);
  const state = `${database}.${SAVED_TABLES.alertState}`;
  const history = `${database}.${SAVED_TABLES.alertHistory}`;
  const lease = `${database}.${SAVED_TABLES.lease}`;

  const currentLease = async (name: string) => {
    const rows = await transport.query<{ current: string; expires_ms: string }>(
      `SELECT argMax(holder, (version, holder)) AS current,
         toString(toUnixTimestamp64Milli(argMax(expires_at, (version, holder)))) AS expires_ms
       FROM ${lease} WHERE name = {name:String} HAVING count() > 0`,
      { name },
    );
    return rows[0] && { holder: rows[0].current, expiresAt: Number(rows[0].expires_ms) };
  };

  const writeLease = (name: string, holder: string, expiresAtMs: number) =>
    transport.insertJsonEachRow(
      lease,
      JSON.stringify({
        name,
        holder,
        expires_at: new Date(expiresAtMs).toISOString(),
        version: String(nextVersion()),
      }),
      SHARDS_AT_ONCE,
    );

  return {
    async states(tenant) {
      const rows = await transport.query<{ tenant: string; rule_id: string; body: string }>(
        `SELECT tenant, rule_id, body FROM ${state} FINAL${tenant === undefined ? '' : ' WHERE tenant = {tenant:String}'}`,
        tenant === undefined ? {} : { tenant },
      );
      return new Map(rows.map((r) => [stateKey(r.tenant, r.rule_id), r.body]));
    },
    putState: (tenant, ruleId, body) =>
      transport.insertJsonEachRow(
        state,
        JSON.stringify({ tenant, rule_id: ruleId, version: String(nextVersion()), body }),
        SHARDS_AT_ONCE,
      ),
    async addTransitions(tenant, ruleId, transitions) {
      if (transitions.length === 0) return;
      const rows = transitions.map((t) =>
        JSON.stringify({
          tenant,
          rule_id: ruleId,
          at: new Date(t.at).toISOString(),
          from_state: t.from,
          to_state: t.to,
          value: t.value,
          threshold: t.threshold,
        }),
      );
      await transport.insertJsonEachRow(history, rows.join('\n'), SHARDS_AT_ONCE);
    },
    async history(tenant, ruleId, limit) {
      const rows = await transport.query<{
        at_ms: string;
        from_state: string;
        to_state: string;
        value: number;
        threshold: number;
      }>(
        `SELECT toString(toUnixTimestamp64Milli(at)) AS at_ms, from_state, to_state, value, threshold FROM ${history}
         WHERE tenant = {tenant:String} AND rule_id = {rule:String} ORDER BY at DESC LIMIT {limit:UInt32}`,
        { tenant, rule: ruleId, limit },
      );
      return rows.map((r) => ({
        at: Number(r.at_ms),
        from: r.from_state,
        to: r.to_state,
        value: r.value,
        threshold: r.threshold,
      }));
    },
    lease: currentLease,
    async claimLease(name, holder, ttlMs, nowMs) {
      const held = await currentLease(name);
      const valid = held !== undefined && held.expiresAt > nowMs;
      if (valid && held.holder !== holder) return false;
      await writeLease(name, holder, nowMs + ttlMs);
      // A renewal of a lease still held is safe: nobody else writes while it is valid. A claim of a free
      // lease may race another replica's: it counts from the next call, once every competing claim is
      // visible and all replicas agree the newest one holds it.
      return valid;
    },
    async releaseLease(name, holder, nowMs) {
      const held = await currentLease(name);
      if (held?.holder === holder && held.expiresAt > nowMs) await writeLease(name, holder, nowMs);
    },
  };
}
