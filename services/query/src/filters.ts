import type { z } from 'zod';
import { parseTimeExpression, type LogFilterQuery } from '@instant-logs/schema';
import { parseQuery, QuerySyntaxError } from '@instant-logs/query-language';
import { CodedError } from '@instant-logs/service-kit';
import { InvalidCursorError, SearchCompileError, type LogFilter } from '@instant-logs/store';

/** Parses a query string with a zod schema; the first problem becomes a 400 naming its parameter. */
export function parseParams<S extends z.ZodType>(schema: S, query: unknown): z.infer<S> {
  const parsed = schema.safeParse(query);
  if (parsed.success) return parsed.data;
  const issue = parsed.error.issues[0]!;
  const field = issue.path.map(String).join('.') || '(query)';
  throw new CodedError(400, 'BAD_REQUEST', `${field}: ${issue.message}`, { field });
}

/** Turns validated query parameters into a store filter for `tenant`; bad times or syntax are 400s. */
export function toLogFilter(params: LogFilterQuery, tenant: string, nowMs: number): LogFilter {
  const fromNs = parseTimeExpression(params.from, nowMs);
  if (fromNs === undefined) throw badTime('from', params.from);
  const toNs = parseTimeExpression(params.to, nowMs);
  if (toNs === undefined) throw badTime('to', params.to);
  if (fromNs > toNs) throw new CodedError(400, 'BAD_REQUEST', '"from" is after "to"', { field: 'from' });
  return { tenant, fromNs, toNs, services: params.service, levels: params.level, query: parseSearch(params.q) };
}

/** Parses the `q` syntax; a syntax error is a 400 that points at the position. */
export function parseSearch(q: string) {
  try {
    return parseQuery(q);
  } catch (err) {
    if (err instanceof QuerySyntaxError) throw new CodedError(400, 'QUERY_SYNTAX', err.message, { field: 'q', position: err.position });
    throw err;
  }
}

function badTime(field: string, value: string): CodedError {
  return new CodedError(400, 'BAD_REQUEST', `${field}: "${value.slice(0, 64)}" is not a time; use RFC 3339 or epoch milliseconds between 1970 and 2262, or now-15m style`, { field });
}

/** Maps the store's input errors (a bad cursor, a clause that cannot run) to 400s; others pass through. */
export function asClientError(err: unknown): unknown {
  if (err instanceof InvalidCursorError) return new CodedError(400, 'BAD_REQUEST', `cursor: ${err.message}`, { field: 'cursor' });
  if (err instanceof SearchCompileError) return new CodedError(400, 'INVALID_CLAUSE', err.message, { field: 'q' });
  return err;
}
