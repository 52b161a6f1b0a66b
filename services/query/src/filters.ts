import type { z } from 'zod';
import { parseTimeExpression, type LogFilterQuery } from '@instant-logs/schema';
import { parseQuery } from '@instant-logs/query-language';
import type { LogFilter } from '@instant-logs/store';
import { KIT_ERRORS, QUERY_ERRORS } from './errors.ts';

/** Parses a query string or body with a zod schema; the first problem becomes a 400 naming its parameter. */
export function parseParams<S extends z.ZodType>(schema: S, input: unknown, whole = '(query)'): z.infer<S> {
  const parsed = schema.safeParse(input);
  if (parsed.success) return parsed.data;
  const issue = parsed.error.issues[0]!;
  // A repeatable parameter's index ("level.0") names no field a client sent.
  const field =
    issue.path
      .filter((p) => typeof p !== 'number')
      .map(String)
      .join('.') || whole;
  throw KIT_ERRORS.BAD_REQUEST({ reason: `${field}: ${issue.message}`, field });
}

/** Turns validated query parameters into a store filter for `tenant`; bad times or syntax are 400s. */
export function toLogFilter(params: LogFilterQuery, tenant: string, nowMs: number): LogFilter {
  const fromNs = parseTimeExpression(params.from, nowMs);
  if (fromNs === undefined) throw QUERY_ERRORS.INVALID_TIME({ field: 'from', value: params.from.slice(0, 64) });
  const toNs = parseTimeExpression(params.to, nowMs);
  if (toNs === undefined) throw QUERY_ERRORS.INVALID_TIME({ field: 'to', value: params.to.slice(0, 64) });
  if (fromNs > toNs) throw QUERY_ERRORS.TIME_RANGE_REVERSED({ field: 'from' });
  return { tenant, fromNs, toNs, services: params.service, levels: params.level, query: parseQuery(params.q) };
}
