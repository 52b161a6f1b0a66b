import { parseQuery, type CompareOp, type LeafNode, type QueryNode } from '@instant-logs/query-language';
import { levelFromText } from '@instant-logs/schema';

/** A half-open span [start, end) of a text to mark. */
export type Range = readonly [start: number, end: number];

/** Finds the spans of one clause in a text. */
type Finder = (text: string) => Range[];

/**
 * What a query marks: spans in the message, and per field (`service`, `level`, `trace_id`,
 * `attributes.k`, `resource.k`) spans in that field's value.
 */
export interface Highlighter {
  message(text: string): Range[];
  field(field: string, value: string): Range[];
}

const MESSAGE_FIELDS = new Set(['message', 'body']);
const escape = (s: string) => s.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
// The store's whole-word match (hasToken) splits on anything but ASCII letters and digits.
const WORD = /^[0-9A-Za-z]+$/;
const NOT_WORD_BEFORE = '(?<![0-9A-Za-z])';
const NOT_WORD_AFTER = '(?![0-9A-Za-z])';

function regexFinder(source: string): Finder {
  return (text) => {
    const re = new RegExp(source, 'giu');
    const out: Range[] = [];
    for (const m of text.matchAll(re)) if (m[0].length > 0) out.push([m.index, m.index + m[0].length]);
    return out;
  };
}

const COMPARE: Record<CompareOp, (a: number, b: number) => boolean> = {
  '>': (a, b) => a > b,
  '>=': (a, b) => a >= b,
  '<': (a, b) => a < b,
  '<=': (a, b) => a <= b,
};

const whole = (text: string): Range[] => (text.length > 0 ? [[0, text.length]] : []);

// Message clauses mirror the store: a plain word matches whole words, other text anywhere, a
// prefix the start of a word; all without regard to case.
function messageFinder(leaf: LeafNode): Finder | null {
  if (leaf.kind === 'compare' || leaf.text === '') return null;
  const text = escape(leaf.text);
  if (leaf.kind === 'phrase') return regexFinder(text);
  if (leaf.prefix) return regexFinder(`${NOT_WORD_BEFORE}${text}`);
  return regexFinder(WORD.test(leaf.text) ? `${NOT_WORD_BEFORE}${text}${NOT_WORD_AFTER}` : text);
}

// Field clauses compare whole values, so a match marks the value (or the prefix it starts with).
function valueFinder(leaf: LeafNode, field: string): Finder | null {
  if (leaf.kind === 'compare') {
    const holds = COMPARE[leaf.op];
    return (v) => (v.trim() !== '' && Number.isFinite(Number(v)) && holds(Number(v), leaf.value) ? whole(v) : []);
  }
  if (leaf.text === '') return null;
  const { text } = leaf;
  const prefix = leaf.kind === 'term' && leaf.prefix;
  if (field === 'level') {
    if (prefix) return (v) => (v.startsWith(text.toLowerCase()) ? [[0, text.length]] : []);
    return (v) => (levelFromText(text) === v ? whole(v) : []);
  }
  if (field === 'trace_id' || field === 'span_id') return (v) => (v === text.toLowerCase() ? whole(v) : []);
  if (prefix) return (v) => (v.startsWith(text) ? [[0, text.length]] : []);
  return (v) => (v === text ? whole(v) : []);
}

/** Pure: the leaves a record must match for `node` to match: under an odd number of NOTs a leaf is excluded. */
export function positiveLeaves(node: QueryNode | null, negated = false): LeafNode[] {
  if (!node) return [];
  switch (node.kind) {
    case 'and':
    case 'or':
      return node.children.flatMap((c) => positiveLeaves(c, negated));
    case 'not':
      return positiveLeaves(node.child, !negated);
    default:
      return negated ? [] : [node];
  }
}

// An unscoped `key:v` looks in attributes and resource alike.
function fieldsOf(field: string): string[] {
  if (['service', 'level', 'trace_id', 'span_id'].includes(field)) return [field];
  if (field.startsWith('attributes.') || field.startsWith('resource.')) return [field];
  return [`attributes.${field}`, `resource.${field}`];
}

/** Pure: the highlighter for the search text `q`; a query that does not parse marks nothing. */
export function highlighterFor(q: string): Highlighter {
  let ast: QueryNode | null = null;
  try {
    ast = parseQuery(q);
  } catch {
    // The search box reports the problem; the results still show what the last good query found.
  }
  const message: Finder[] = [];
  const fields = new Map<string, Finder[]>();
  for (const leaf of positiveLeaves(ast)) {
    if (leaf.field === null || MESSAGE_FIELDS.has(leaf.field)) {
      const f = messageFinder(leaf);
      if (f) message.push(f);
      continue;
    }
    for (const field of fieldsOf(leaf.field)) {
      const f = valueFinder(leaf, field);
      if (f) fields.set(field, [...(fields.get(field) ?? []), f]);
    }
  }
  return {
    message: (text) => mergeRanges(message.flatMap((f) => f(text))),
    field: (field, value) =>
      MESSAGE_FIELDS.has(field)
        ? mergeRanges(message.flatMap((f) => f(value)))
        : mergeRanges((fields.get(field) ?? []).flatMap((f) => f(value))),
  };
}

/** Pure: ranges sorted, with overlapping and touching ones joined. */
export function mergeRanges(ranges: readonly Range[]): Range[] {
  const sorted = [...ranges].sort((a, b) => a[0] - b[0] || a[1] - b[1]);
  const out: [number, number][] = [];
  for (const [s, e] of sorted) {
    const last = out.at(-1);
    if (last && s <= last[1]) last[1] = Math.max(last[1], e);
    else out.push([s, e]);
  }
  return out;
}

/** Pure: `text` cut into plain and marked pieces, in order, for rendering. */
export function splitByRanges(text: string, ranges: readonly Range[]): { text: string; mark: boolean }[] {
  const parts: { text: string; mark: boolean }[] = [];
  let at = 0;
  for (const [s, e] of ranges) {
    if (s > at) parts.push({ text: text.slice(at, s), mark: false });
    parts.push({ text: text.slice(s, e), mark: true });
    at = e;
  }
  if (at < text.length || parts.length === 0) parts.push({ text: text.slice(at), mark: false });
  return parts;
}
