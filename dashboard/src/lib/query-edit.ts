import { formatQuery, parseQuery, QuerySyntaxError } from '@instant-logs/query-language';

export interface SyntaxProblem {
  message: string;
  position: number;
}

/**
 * Pure: the one way a problem is told, counting columns from 1 as editors do. A trailing
 * "at <offset>" some messages carry is dropped, so the text never names two different places.
 */
export function describeProblem(p: SyntaxProblem): string {
  return `${p.message.replace(/ at \d+$/, '')} at column ${p.position + 1}`;
}

/** Pure: the first syntax problem in `q`, or null when the parser accepts it. */
export function syntaxProblem(q: string): SyntaxProblem | null {
  try {
    parseQuery(q);
    return null;
  } catch (err) {
    if (err instanceof QuerySyntaxError) return { message: err.reason, position: err.position };
    throw err;
  }
}

// Values that stay readable unquoted; anything else (spaces, quotes, "*", a leading comparison) is a phrase.
const BARE_VALUE = /^[^\s()"*<>:-][^\s()"*:]*$/;

/** Pure: the clause that matches `field` equal to `value` (`-` in front when `exclude`). */
export function filterClause(field: string, value: string, exclude = false): string {
  const clause =
    BARE_VALUE.test(value) && !['AND', 'OR', 'NOT'].includes(value)
      ? formatQuery({ kind: 'term', field, text: value, prefix: false })
      : formatQuery({ kind: 'phrase', field, text: value });
  return exclude ? `-${clause}` : clause;
}

/** Pure: `q` with `clause` ANDed on, unless it is already one of its top-level words. */
export function addClause(q: string, clause: string): string {
  const trimmed = q.trim();
  if (trimmed === '') return clause;
  // A top-level OR would swallow the new clause into its last branch, so group the old query.
  const needsGroup = /\bOR\b/.test(trimmed) && !(trimmed.startsWith('(') && trimmed.endsWith(')'));
  if (!needsGroup && trimmed.split(/\s+/).includes(clause)) return trimmed;
  return `${needsGroup ? `(${trimmed})` : trimmed} ${clause}`;
}
