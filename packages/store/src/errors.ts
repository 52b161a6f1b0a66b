// ClickHouse error codes after which the same request can succeed later: resource pressure,
// timeouts and network trouble. Everything else (syntax, types, unknown columns) is permanent.
const TRANSIENT_CODES = new Set([
  159, // TIMEOUT_EXCEEDED
  164, // READONLY
  202, // TOO_MANY_SIMULTANEOUS_QUERIES
  209, // SOCKET_TIMEOUT
  210, // NETWORK_ERROR
  241, // MEMORY_LIMIT_EXCEEDED
  242, // TABLE_IS_READ_ONLY
  252, // TOO_MANY_PARTS
  279, // ALL_CONNECTION_TRIES_FAILED: a shard of a cluster is down
  319, // UNKNOWN_STATUS_OF_INSERT
  425, // SYSTEM_ERROR
  999, // KEEPER_EXCEPTION
]);

/** Pure: whether a ClickHouse error code describes a condition that may clear by itself. */
export function isTransientClickHouseCode(code: number | undefined): boolean {
  return code !== undefined && TRANSIENT_CODES.has(code);
}

/** Pure: reads the numeric ClickHouse error code from a message like "Code: 62. DB::Exception: …". */
export function clickHouseCodeOf(message: string): number | undefined {
  const m = /Code: (\d+)\./.exec(message);
  return m ? Number(m[1]) : undefined;
}
