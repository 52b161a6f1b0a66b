export { StoreError, isRetryable, type ClickHouseTransport, type InsertOptions, type SqlParams } from './transport.ts';
export { createChdbTransport, type ChdbTransportOptions } from './chdb-transport.ts';
export { createHttpTransport } from './http-transport.ts';
export { isTransientClickHouseCode } from './errors.ts';
export { migrate, SCHEMA_VERSION, ROLLUP_TABLE } from './migrations.ts';
export { createLogStore, type LogStore, type LogFilter, type FacetCount, type TailRecord, type ServiceUsage, type HistogramOptions } from './log-store.ts';
export { InvalidCursorError } from './cursor.ts';
export { chooseInterval } from './interval.ts';
export { compileSearch, ParamBag, SearchCompileError } from './filter-sql.ts';
