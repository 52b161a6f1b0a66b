import { assertIdentifier } from './migrations.ts';
import { SAVED_TABLES } from './saved-objects-migration.ts';
import type { ClickHouseTransport } from './transport.ts';

/** What a tenant saves by name: `body` is the object's JSON, opaque to the store. Times are epoch ms. */
export interface SavedObject {
  id: string;
  name: string;
  body: string;
  createdAt: number;
  updatedAt: number;
}

export type SavedKind = 'view' | 'alert_rule';

/** Saved views and alert rules, each tenant's apart; a read never returns another tenant's object. */
export interface SavedObjectStore {
  list(tenant: string, kind: SavedKind): Promise<SavedObject[]>;
  get(tenant: string, kind: SavedKind, id: string): Promise<SavedObject | undefined>;
  /** Creates or replaces the object with this id. */
  put(tenant: string, kind: SavedKind, object: SavedObject): Promise<void>;
  /** Deletes the object; false when the tenant has none with this id. */
  remove(tenant: string, kind: SavedKind, id: string): Promise<boolean>;
  /** Every tenant's objects of a kind (the alert evaluator's read). */
  listAll(kind: SavedKind): Promise<Array<SavedObject & { tenant: string }>>;
}

interface Row {
  tenant: string;
  id: string;
  name: string;
  body: string;
  created_ms: string;
  updated_ms: string;
}

/**
 * Pure: a version source for ReplacingMergeTree rows: microseconds of the clock, strictly increasing
 * within this process, so two writes in one millisecond keep their order.
 */
export function versionClock(clock: () => number = Date.now): () => bigint {
  let last = 0n;
  return () => {
    const now = BigInt(clock()) * 1000n;
    last = now > last ? now : last + 1n;
    return last;
  };
}

/** Builds the saved-object store over a transport, in `database` (migrated to version 4 or later). */
export function createSavedObjectStore(
  transport: ClickHouseTransport,
  database: string,
  nextVersion: () => bigint = versionClock(),
): SavedObjectStore {
  assertIdentifier(database);
  const table = `${database}.${SAVED_TABLES.objects}`;
  // FINAL: the newest version of each key even before parts merge; then tombstones are skipped.
  const select = (where: string) =>
    `SELECT tenant, id, name, body, toString(toUnixTimestamp64Milli(created_at)) AS created_ms,
       toString(toUnixTimestamp64Milli(updated_at)) AS updated_ms
     FROM ${table} FINAL WHERE ${where} AND deleted = 0 ORDER BY lower(name), id`;
  const toObject = (r: Row): SavedObject => ({
    id: r.id,
    name: r.name,
    body: r.body,
    createdAt: Number(r.created_ms),
    updatedAt: Number(r.updated_ms),
  });
  const write = (tenant: string, kind: SavedKind, o: SavedObject, deleted: 0 | 1) =>
    transport.insertJsonEachRow(
      table,
      JSON.stringify({
        tenant,
        kind,
        id: o.id,
        version: String(nextVersion()),
        deleted,
        name: o.name,
        body: o.body,
        created_at: new Date(o.createdAt).toISOString(),
        updated_at: new Date(o.updatedAt).toISOString(),
      }),
    );

  return {
    async list(tenant, kind) {
      const rows = await transport.query<Row>(select('tenant = {tenant:String} AND kind = {kind:String}'), {
        tenant,
        kind,
      });
      return rows.map(toObject);
    },
    async get(tenant, kind, id) {
      const rows = await transport.query<Row>(
        select('tenant = {tenant:String} AND kind = {kind:String} AND id = {id:String}'),
        { tenant, kind, id },
      );
      return rows[0] && toObject(rows[0]);
    },
    put: (tenant, kind, object) => write(tenant, kind, object, 0),
    async remove(tenant, kind, id) {
      const existing = await this.get(tenant, kind, id);
      if (!existing) return false;
      await write(tenant, kind, { ...existing, body: '' }, 1);
      return true;
    },
    async listAll(kind) {
      const rows = await transport.query<Row>(select('kind = {kind:String}'), { kind });
      return rows.map((r) => ({ tenant: r.tenant, ...toObject(r) }));
    },
  };
}
