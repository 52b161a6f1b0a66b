import type { LogPipeline } from '@instant-logs/schema';
import { PASSWORD_ENV } from './clickhouse-config.ts';
import { PORTS } from './context.ts';
import { managedKeeperNodes } from './keeper.ts';
import { namesOf } from './names.ts';

/** The cluster's name in a managed ClickHouse's remote_servers. */
export const MANAGED_CLUSTER = 'instant_logs';

/** The environment variables that give a server its `{shard}` and `{replica}` macros. */
export const SHARD_ENV = 'INSTANT_LOGS_SHARD';
export const REPLICA_ENV = 'INSTANT_LOGS_REPLICA';

/** Where ReplicatedMergeTree replicas fetch parts from each other. */
export const INTERSERVER_PORT = 9009;

/** The shape of a managed ClickHouse laid out as a cluster; undefined for one server. */
export interface ManagedCluster {
  shards: number;
  replicas: number;
  replicated: boolean;
  keeper: readonly string[];
}

/** Pure: the managed ClickHouse's cluster, when it has more than one shard or replica. */
export function managedCluster(p: LogPipeline): ManagedCluster | undefined {
  const m = p.spec.clickhouse.managed;
  if (!m || (m.shards === 1 && m.replicas === 1)) return undefined;
  const keeper = m.keeper?.nodes ?? managedKeeperNodes(p);
  return { shards: m.shards, replicas: m.replicas, replicated: m.replicas > 1, keeper };
}

/** Pure: the StatefulSet of shard `shard` (1-based). */
export function shardStatefulSetName(p: LogPipeline, shard: number): string {
  return `${namesOf(p).clickhouse}-shard-${shard}`;
}

/** Pure: the managed ClickHouse's StatefulSets: the one of a single server, or one per shard. */
export function clickhouseStatefulSetNames(p: LogPipeline): string[] {
  const cluster = managedCluster(p);
  if (!p.spec.clickhouse.managed) return [];
  if (!cluster) return [namesOf(p).clickhouse];
  return Array.from({ length: cluster.shards }, (_, i) => shardStatefulSetName(p, i + 1));
}

/** Pure: the DNS names of each shard's pods, through the headless Service, by shard. */
export function shardHosts(p: LogPipeline, cluster: ManagedCluster): string[][] {
  const names = namesOf(p);
  return Array.from({ length: cluster.shards }, (_, s) =>
    Array.from(
      { length: cluster.replicas },
      (_, r) => `${shardStatefulSetName(p, s + 1)}-${r}.${names.clickhouseHeadless}.${p.metadata.namespace}.svc`,
    ),
  );
}

/**
 * Pure: the CLICKHOUSE_CLUSTER* settings of the pipeline's services; none for one server. Without
 * replication there is no Keeper, so no ON CLUSTER: schema changes and deletes go to every server.
 */
export function clusterSettings(p: LogPipeline): Record<string, string> {
  const external = p.spec.clickhouse.external?.cluster;
  if (external)
    return { CLICKHOUSE_CLUSTER: external.name, CLICKHOUSE_CLUSTER_REPLICATED: String(external.replicated) };
  const cluster = managedCluster(p);
  if (!cluster) return {};
  return {
    CLICKHOUSE_CLUSTER: MANAGED_CLUSTER,
    CLICKHOUSE_CLUSTER_REPLICATED: String(cluster.replicated),
    ...(cluster.replicated
      ? {}
      : {
          CLICKHOUSE_CLUSTER_NODES: shardHosts(p, cluster)
            .flat()
            .map((h) => `http://${h}:${PORTS.clickhouseHttp}`)
            .join(','),
        }),
  };
}

/**
 * Pure: a config.d file naming every server of the cluster, with the macros each server reads from
 * its environment. Servers reach each other as the pipeline's user (the default user is local only).
 * Replicated: Keeper, the distributed DDL queue and the interserver port that replicas fetch from.
 */
export function clusterConfig(p: LogPipeline, cluster: ManagedCluster, user: string): string {
  const replica = (host: string) =>
    `<replica><host>${host}</host><port>${PORTS.clickhouseNative}</port>` +
    `<user>${user}</user><password from_env="${PASSWORD_ENV}"/></replica>`;
  const shards = shardHosts(p, cluster).map(
    (hosts) =>
      `            <shard><internal_replication>true</internal_replication>${hosts.map(replica).join('')}</shard>`,
  );
  const keeper = cluster.keeper.map((node) => {
    const at = node.lastIndexOf(':');
    return `        <node><host>${node.slice(0, at)}</host><port>${node.slice(at + 1)}</port></node>`;
  });
  const replicated = cluster.replicated
    ? [
        `    <zookeeper>\n${keeper.join('\n')}\n    </zookeeper>`,
        '    <distributed_ddl><path>/clickhouse/task_queue/ddl</path></distributed_ddl>',
        `    <interserver_http_port>${INTERSERVER_PORT}</interserver_http_port>`,
        `    <interserver_http_host from_env="${REPLICA_ENV}_HOST"/>`,
      ]
    : [];
  return [
    '<clickhouse>',
    '    <remote_servers>',
    `        <${MANAGED_CLUSTER}>`,
    ...shards,
    `        </${MANAGED_CLUSTER}>`,
    '    </remote_servers>',
    `    <macros><shard from_env="${SHARD_ENV}"/><replica from_env="${REPLICA_ENV}"/></macros>`,
    ...replicated,
    '</clickhouse>',
    '',
  ].join('\n');
}
