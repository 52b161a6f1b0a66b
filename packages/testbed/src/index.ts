export { startClickHouseServer } from './clickhouse-server.ts';
export type { ClickHouseServer, ClickHouseServerOptions, ClickHouseUser } from './clickhouse-server.ts';
