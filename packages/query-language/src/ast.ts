/** A parsed search: boolean groups over leaf clauses. Pure data, safe to JSON-encode. */
export type QueryNode = AndNode | OrNode | NotNode | TermNode | PhraseNode | CompareNode;

/** Leaves of the tree: the clauses that test one thing. */
export type LeafNode = TermNode | PhraseNode | CompareNode;

/** All children must match; always at least two. */
export interface AndNode {
  kind: 'and';
  children: readonly QueryNode[];
}

/** At least one child must match; always at least two. */
export interface OrNode {
  kind: 'or';
  children: readonly QueryNode[];
}

export interface NotNode {
  kind: 'not';
  child: QueryNode;
}

/**
 * An unquoted word, `timeout` or `service:pay*`. `field` is null for a bare word (searches the
 * message). `text` must be writable unquoted (no spaces, parentheses, quotes or `*`); build a
 * PhraseNode for arbitrary values. `prefix` is the trailing `*`.
 */
export interface TermNode {
  kind: 'term';
  field: string | null;
  text: string;
  prefix: boolean;
}

/** A quoted string, `"connection refused"` or `service:"pay api"`; `text` is unescaped. */
export interface PhraseNode {
  kind: 'phrase';
  field: string | null;
  text: string;
}

export type CompareOp = '>' | '>=' | '<' | '<=';

/** `field:>500`: a numeric comparison; `value` is finite and never -0. */
export interface CompareNode {
  kind: 'compare';
  field: string;
  op: CompareOp;
  value: number;
}

/** Abuse guards: longer, deeper or bigger queries are refused with a QuerySyntaxError. */
export const QUERY_LIMITS = Object.freeze({
  /** Characters (UTF-16 code units) in the query text. */
  maxLength: 4096,
  /** Nesting of parentheses and negations. */
  maxDepth: 32,
  /** Leaf clauses (terms, phrases, field clauses, comparisons). */
  maxClauses: 200,
});
