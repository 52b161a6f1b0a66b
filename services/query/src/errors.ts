import { QuerySyntaxError } from '@instant-logs/query-language';
import { CodedError, defineErrors, KIT_ERRORS } from '@instant-logs/service-kit';
import { InvalidCursorError, SearchCompileError } from '@instant-logs/store';

/** Every code the query service declares besides the kit's shared ones; answered as `QUERY_<code>`. */
export const QUERY_ERRORS = defineErrors({
  /** `position` is the 0-based offset in `q` (a JS string index), as a field of the answer. */
  SYNTAX: { status: 400, message: '{reason}' },
  INVALID_CLAUSE: { status: 400, message: '{reason}' },
  INVALID_TIME: {
    status: 400,
    message:
      '{field}: "{value}" is not a time; use RFC 3339 or epoch milliseconds between 1970 and 2262, or now-15m style',
  },
  TIME_RANGE_REVERSED: { status: 400, message: '"from" is after "to"' },
  INVALID_CURSOR: { status: 400, message: 'cursor: {reason}' },
  DELETE_UNBOUNDED: {
    status: 400,
    message: 'from: a delete needs a time range (from, to) or a query (q); send from: "0" to mean all time',
  },
  TAIL_FILTER_TOO_COMPLEX: {
    status: 400,
    message: "a live tail's filter may have at most {max} clauses (TAIL_MAX_CLAUSES); this one has {clauses}",
  },
  TOO_MANY_TAILS: { status: 429, message: '{reason}; close one or retry later' },
  // The same answer whether the id never existed or is another tenant's: ids reveal nothing.
  VIEW_NOT_FOUND: { status: 404, message: 'id: no saved view {id}' },
  ALERT_NOT_FOUND: { status: 404, message: 'id: no alert rule {id}' },
  // Not an HTTP answer: a tail closed with 4008 because its reader fell behind; the status names the kind of fault.
  TAIL_TOO_SLOW: {
    status: 429,
    message:
      'this live tail fell more than {max} records behind its reader and was closed; reconnect with since=<position>',
  },
});

/** The only body type the query API parses; a 415 lists it. */
export const QUERY_MEDIA_TYPES = ['application/json'] as const;

/** Pure: the store's and the query language's input errors as the query service's codes; others unchanged. */
export function toQueryError(err: unknown): unknown {
  if (err instanceof CodedError) return err;
  if (err instanceof QuerySyntaxError)
    return QUERY_ERRORS.SYNTAX({ reason: err.reason, field: 'q', position: err.position });
  if (err instanceof InvalidCursorError) return QUERY_ERRORS.INVALID_CURSOR({ reason: err.message, field: 'cursor' });
  if (err instanceof SearchCompileError) return QUERY_ERRORS.INVALID_CLAUSE({ reason: err.message, field: 'q' });
  return err;
}

export { KIT_ERRORS };
