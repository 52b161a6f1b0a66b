import { openClusterTopology } from './cluster.ts';
import { createHttpTransport } from './http-transport.ts';
import { createLogStore, type LogStore } from './log-store.ts';
import type { ClickHouseTransport } from './transport.ts';

/** The ClickHouse settings every service's config declares (service-kit's ClickHouse and cluster env). */
export interface ClickHouseSettings {
  CLICKHOUSE_URL: string;
  CLICKHOUSE_USER: string;
  CLICKHOUSE_PASSWORD: string;
  CLICKHOUSE_DATABASE: string;
  CLICKHOUSE_CLUSTER?: string | undefined;
  CLICKHOUSE_CLUSTER_REPLICATED: boolean;
  CLICKHOUSE_CLUSTER_NODES?: readonly string[] | undefined;
}

/**
 * A service's way to ClickHouse over HTTP: the transport, the log store laid out as the settings say (one server or a
 * cluster, whose schema changes and deletes reach each server through a transport of its own), and `close` for all.
 */
export function connectClickHouse(c: ClickHouseSettings): {
  transport: ClickHouseTransport;
  store: LogStore;
  close(): Promise<void>;
} {
  const open = (url: string) =>
    createHttpTransport({ url, username: c.CLICKHOUSE_USER, password: c.CLICKHOUSE_PASSWORD });
  const transport = open(c.CLICKHOUSE_URL);
  const cluster = openClusterTopology(
    { name: c.CLICKHOUSE_CLUSTER, replicated: c.CLICKHOUSE_CLUSTER_REPLICATED, nodeUrls: c.CLICKHOUSE_CLUSTER_NODES },
    open,
  );
  return {
    transport,
    store: createLogStore(transport, c.CLICKHOUSE_DATABASE, { cluster: cluster.topology }),
    async close() {
      await transport.close();
      await cluster.close();
    },
  };
}
