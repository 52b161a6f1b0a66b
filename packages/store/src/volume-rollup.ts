import type { LogFilter } from './log-store.ts';
import { ParamBag } from './filter-sql.ts';
import { ROLLUP_TABLE } from './migrations.ts';
import type { ClickHouseTransport } from './transport.ts';

const MINUTE_NS = 60_000_000_000n;
const MINUTE_MS = 60_000;

/** Whole minutes [fromNs, toNs) of a histogram's range, which the per-minute rollup can count. */
export interface MinuteSpan {
  fromNs: bigint;
  toNs: bigint;
}

/**
 * Pure: the whole minutes inside the filter's range when the rollup can answer them — no free-text
 * or attribute query, and buckets a whole number of minutes — else null (read the logs).
 */
export function rollupSpan(filter: LogFilter, stepMs: number): MinuteSpan | null {
  if (filter.query || stepMs % MINUTE_MS !== 0 || filter.fromNs < 0n) return null;
  const fromNs = ((filter.fromNs + MINUTE_NS - 1n) / MINUTE_NS) * MINUTE_NS;
  const toNs = ((filter.toNs + 1n) / MINUTE_NS) * MINUTE_NS;
  return fromNs < toNs ? { fromNs, toNs } : null;
}

/** Pure: the partly covered first and last minutes, which only the logs can count exactly. */
export function edgeFilters(filter: LogFilter, span: MinuteSpan): LogFilter[] {
  const edges: LogFilter[] = [];
  if (filter.fromNs < span.fromNs) edges.push({ ...filter, toNs: span.fromNs - 1n });
  if (span.toNs <= filter.toNs) edges.push({ ...filter, fromNs: span.toNs });
  return edges;
}

/** Pure: counts per bucket and level of the span's minutes, read from the rollup. */
export function rollupCountsSql(
  database: string,
  filter: LogFilter,
  span: MinuteSpan,
  stepParam: string,
  bag: ParamBag,
): string {
  const parts = [
    `tenant = ${bag.add(filter.tenant, 'String')}`,
    `minute >= fromUnixTimestamp64Nano(${bag.add(span.fromNs, 'Int64')}, 'UTC')`,
    `minute < fromUnixTimestamp64Nano(${bag.add(span.toNs, 'Int64')}, 'UTC')`,
  ];
  if (filter.services.length > 0) parts.push(`service IN ${bag.add(filter.services, 'Array(String)')}`);
  if (filter.levels.length > 0) parts.push(`level IN ${bag.add(filter.levels, 'Array(String)')}`);
  return `SELECT toInt64(intDiv(toUnixTimestamp(minute) * 1000, ${stepParam}) * ${stepParam}) AS bucket, level, sum(records) AS n
    FROM ${database}.${ROLLUP_TABLE} WHERE ${parts.join(' AND ')} GROUP BY bucket, level`;
}

/** Whether a delete touched the span's minutes for this tenant, so the rollup over-counts them. */
export async function isRollupStale(
  transport: ClickHouseTransport,
  database: string,
  tenant: string,
  span: MinuteSpan,
): Promise<boolean> {
  const rows = await transport.query<{ n: string }>(
    `SELECT count() AS n FROM ${database}.${ROLLUP_TABLE}_stale WHERE tenant = {tenant:String} AND from_ns < {to:Int64} AND to_ns >= {from:Int64}`,
    { tenant, from: span.fromNs, to: span.toNs },
  );
  return Number(rows[0]?.n ?? 0) > 0;
}

/**
 * Records that a delete over the filter's range is about to happen. Written before the delete, so
 * a delete that fails half way leaves the histogram reading the logs, never a rollup that over-counts.
 */
export async function markRollupStale(
  transport: ClickHouseTransport,
  database: string,
  filter: LogFilter,
  clustered = false,
): Promise<void> {
  // Through a cluster's Distributed table, written before this returns (see CLUSTER_INSERT_SETTINGS).
  const settings = clustered ? ' SETTINGS distributed_foreground_insert = 1' : '';
  await transport.command(
    `INSERT INTO ${database}.${ROLLUP_TABLE}_stale (tenant, from_ns, to_ns)${settings} VALUES ({tenant:String}, {from:Int64}, {to:Int64})`,
    { tenant: filter.tenant, from: filter.fromNs, to: filter.toNs },
  );
}
