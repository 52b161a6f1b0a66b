import type { ClickHouseTransport, SqlParams } from './transport.ts';

/**
 * Where the store's tables live when ClickHouse is a cluster (a `remote_servers` entry). Each shard
 * holds `<table>_local` tables; `logs` and the tables read across shards are `Distributed` over them.
 */
export interface ClusterTopology {
  /** The cluster's name in the servers' `remote_servers`. */
  name: string;
  /**
   * ReplicatedMergeTree with the servers' `{shard}` and `{replica}` macros: needs ClickHouse Keeper
   * and `distributed_ddl` on every server. Off: plain MergeTree on each shard, no copies.
   */
  replicated?: boolean;
  /**
   * Every server of the cluster, one transport each. Given: schema changes and deletes run on each
   * of them in turn. Omitted: they run once with `ON CLUSTER`, which needs Keeper.
   */
  nodes?: readonly ClickHouseTransport[];
}

// The logs of one tenant spread over every shard (its reads use all of them at once), and a record
// always goes to the same shard, so a retried batch splits exactly as before and each shard drops
// its part of it as a duplicate. rand() would spread as well but break that.
export const LOGS_SHARDING_KEY = 'cityHash64(tenant, id)';

// On a cluster the saved-object and alert tables are Distributed: an insert with this returns once the shard
// holding the row has it, so the next read (a lease claim, a rule's state) sees it. Harmless on one server.
export const SHARDS_AT_ONCE = { settings: { distributed_foreground_insert: 1 } } as const;

/** How the schema's statements name tables and engines: one server, or a cluster. */
export interface Layout {
  readonly db: string;
  readonly cluster: ClusterTopology | undefined;
  /** Where rows are stored: `db.table`, or on a cluster each shard's `db.table_local`. */
  local(table: string): string;
  /** ` ON CLUSTER name` when schema changes go through the cluster's DDL queue, else ''. */
  readonly on: string;
  /**
   * The engine of a stored table: as given on one server or per shard, replicated when asked. `args` are the
   * engine's own (ReplacingMergeTree's version column), after the replication ones.
   */
  engine(kind: 'MergeTree' | 'AggregatingMergeTree' | 'ReplacingMergeTree', table: string, args?: string): string;
  /** Pure: the Distributed table named `table` over the shards' `table_local`. */
  distributed(table: string, shardingKey: string): string;
}

/** Pure: the layout for a database on one server (cluster undefined) or on a cluster. */
export function layoutFor(db: string, cluster: ClusterTopology | undefined): Layout {
  if (!cluster) {
    return {
      db,
      cluster,
      local: (table) => `${db}.${table}`,
      on: '',
      engine: (kind, _table, args) => (args ? `${kind}(${args})` : kind),
      distributed: () => {
        throw new Error('A Distributed table needs a cluster');
      },
    };
  }
  assertClusterName(cluster.name);
  const on = cluster.nodes ? '' : ` ON CLUSTER ${cluster.name}`;
  return {
    db,
    cluster,
    local: (table) => `${db}.${table}_local`,
    on,
    // One Keeper path per shard and table; replicas of a shard share it and name themselves by macro.
    engine: (kind, table, args) =>
      cluster.replicated
        ? `Replicated${kind}('/clickhouse/tables/{shard}/${db}/${table}_local', '{replica}'${args ? `, ${args}` : ''})`
        : args
          ? `${kind}(${args})`
          : kind,
    distributed: (table, shardingKey) =>
      `CREATE TABLE IF NOT EXISTS ${db}.${table}${on} AS ${db}.${table}_local
       ENGINE = Distributed(${cluster.name}, ${db}, ${table}_local, ${shardingKey})`,
  };
}

/**
 * Runs a schema change or a mutation where the layout says: on the one server, once ON CLUSTER
 * (the statement carries it), or on every node in turn.
 */
export async function onEveryNode(
  transport: ClickHouseTransport,
  layout: Layout,
  sql: string,
  params?: SqlParams,
): Promise<void> {
  const nodes = layout.cluster?.nodes;
  if (!nodes) return transport.command(sql, params);
  for (const node of nodes) await node.command(sql, params);
}

/** Throws unless `name` is a plain identifier; cluster names are spliced into SQL. */
export function assertClusterName(name: string): void {
  if (!/^[A-Za-z_][A-Za-z0-9_]{0,62}$/.test(name))
    throw new Error(`Invalid cluster name "${name}": use letters, digits and underscores`);
}

/** A cluster as services configure it: its name (none: one server), and its servers' URLs when DDL runs on each. */
export interface ClusterSettings {
  name: string | undefined;
  replicated: boolean;
  nodeUrls?: readonly string[] | undefined;
}

/** The topology for `settings`, with a transport (from `createTransport`) per listed server; `close` closes those. */
export function openClusterTopology(
  settings: ClusterSettings,
  createTransport: (url: string) => ClickHouseTransport,
): { topology: ClusterTopology | undefined; close(): Promise<void> } {
  const { name } = settings;
  const nodes = name === undefined ? undefined : settings.nodeUrls?.map(createTransport);
  return {
    topology: name === undefined ? undefined : { name, replicated: settings.replicated, ...(nodes ? { nodes } : {}) },
    close: async () => {
      await Promise.all((nodes ?? []).map((n) => n.close()));
    },
  };
}
