export { StoreError, isRetryable, type ClickHouseTransport, type InsertOptions, type SqlParams } from './transport.ts';
export { createChdbTransport, type ChdbTransportOptions } from './chdb-transport.ts';
export { createHttpTransport } from './http-transport.ts';
export { isTransientClickHouseCode } from './errors.ts';
export { migrate, schemaStatements, SCHEMA_VERSION, MESSAGE_WORDS } from './migrations.ts';
export { type ClusterTopology, type ClusterSettings, LOGS_SHARDING_KEY, openClusterTopology } from './cluster.ts';
export {
  createLogStore,
  type LogStore,
  type LogFilter,
  type FacetCount,
  type TailRecord,
  type MatchedTailRecord,
  type ServiceUsage,
  type SampledMessage,
  type LogStoreOptions,
  QUEUED_READ_AS,
} from './log-store.ts';
export { type WindowOptions } from './search-windows.ts';
export { InvalidCursorError, comparePositions } from './cursor.ts';
export { chooseInterval } from './interval.ts';
export { compileSearch, ParamBag, SearchCompileError } from './filter-sql.ts';
export { ROLLUP_TABLE } from './migrations.ts';
export type { HistogramOptions } from './log-store.ts';
export {
  createSavedObjectStore,
  versionClock,
  type SavedObjectStore,
  type SavedObject,
  type SavedKind,
} from './saved-objects-store.ts';
export { createAlertStore, stateKey, type AlertStore, type StoredTransition } from './alert-store.ts';
export { connectClickHouse, type ClickHouseSettings } from './connect.ts';
export {
  createIdempotencyKeyStore,
  IDEMPOTENCY_TABLE,
  type IdempotencyKeyStore,
  type StoredIdempotencyKey,
} from './idempotency-keys.ts';
