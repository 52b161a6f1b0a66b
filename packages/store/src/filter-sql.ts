import {
  templateRegex,
  templateWords,
  type CompareOp,
  type LeafNode,
  type PhraseNode,
  type QueryNode,
  type TermNode,
} from '@instant-logs/query-language';
import { LEVELS, levelFromText } from '@instant-logs/schema';
import { MESSAGE_WORDS } from './migrations.ts';
import type { SqlParams } from './transport.ts';

// Semantics of every clause: packages/query-language/README.md ("What a query matches").
// Each user value becomes a query parameter; the SQL text holds only column names, function
// names and placeholders, so no value can change the shape of the statement.

/** Collects query parameters and hands out their `{name:Type}` placeholders; `params` goes to the transport. */
export class ParamBag {
  readonly params: SqlParams = {};
  readonly #prefix: string;
  #next = 0;

  /** `prefix` keeps these names apart from any the caller writes by hand (`p` → p0, p1, …). */
  constructor(prefix = 'p') {
    if (!/^[A-Za-z_][A-Za-z0-9_]*$/.test(prefix))
      throw new Error(`Invalid parameter prefix "${prefix}": use letters, digits and underscores`);
    this.#prefix = prefix;
  }

  /** Binds `value` as a parameter of ClickHouse type `type` and returns its placeholder. */
  add(value: SqlParams[string], type: string): string {
    // The type is the one piece spliced into SQL: code writes it, but a quote or brace must not pass.
    if (!/^[A-Za-z][A-Za-z0-9_]*(?:\([A-Za-z0-9_, ()]*\))?$/.test(type))
      throw new Error(`Invalid parameter type "${type}"`);
    if (typeof value === 'number' && !Number.isFinite(value)) throw new Error(`Cannot bind ${value} as ${type}`);
    const name = `${this.#prefix}${this.#next++}`;
    // Clients refuse integers beyond 2^53 (1e308 is one) to protect precision; the shortest
    // decimal text is exactly the double, and ClickHouse parses it as the declared type.
    this.params[name] =
      typeof value === 'number' && !Number.isSafeInteger(value) && Number.isInteger(value) ? String(value) : value;
    return `{${name}:${type}}`;
  }
}

/** A query that parses but cannot be run as asked (unknown level, comparison on a text field); answer 400. */
export class SearchCompileError extends Error {
  readonly code = 'QUERY_INVALID_CLAUSE';
  /** The query field at fault, e.g. "level". */
  readonly field: string;
  constructor(field: string, message: string) {
    super(message);
    this.name = 'SearchCompileError';
    this.field = field;
  }
}

/**
 * Compiles a parsed search into a boolean SQL expression over the logs table; no I/O, and every
 * value goes into `params`. A null query (blank search box) compiles to `true`. Throws
 * SearchCompileError for clauses that cannot be answered.
 */
export function compileSearch(ast: QueryNode | null, params: ParamBag): string {
  if (ast === null) return 'true';
  switch (ast.kind) {
    case 'and':
    case 'or': {
      if (ast.children.length === 0) return ast.kind === 'and' ? 'true' : 'false';
      return `(${ast.children.map((c) => compileSearch(c, params)).join(ast.kind === 'and' ? ' AND ' : ' OR ')})`;
    }
    case 'not':
      return `NOT (${compileSearch(ast.child, params)})`;
    case 'term':
    case 'phrase':
    case 'compare':
      return compileLeaf(ast, params);
    default:
      throw new TypeError(`Unknown query node ${JSON.stringify(ast)}`);
  }
}

function compileLeaf(node: LeafNode, params: ParamBag): string {
  switch (node.field) {
    case null:
    case 'message':
    case 'body':
      if (node.kind === 'compare') throw notNumeric(node.field);
      return compileBody(node, params);
    case 'service':
      return compileColumn('service', node, params, (v) => v);
    // Ids are stored as lowercase hex; ids copied from other tools are often upper case.
    case 'trace_id':
    case 'span_id':
      return compileColumn(node.field, node, params, (v) => v.toLowerCase());
    case 'level':
      return compileLevel(node, params);
    case 'pattern':
      return compilePattern(node, params);
    default:
      return compileMaps(node.field, node, params);
  }
}

// ---- message text ------------------------------------------------------------------------------

const WORD = /^[0-9A-Za-z]+$/;
const DIGIT = /[0-9]/;
// Runs of what the splitByNonAlpha tokenizer keeps together: ASCII letters and digits, and every
// non-ASCII character (its UTF-8 bytes are never separators).
const TOKEN_RUN = /[0-9A-Za-z\u{80}-\u{10FFFF}]+/gu;
const BOUNDARY = '(?:^|[^0-9A-Za-z\\x{80}-\\x{10FFFF}])';

// A run of letters and digits this long with a digit in it is taken for an identifier: a request,
// trace, user or order id, or a timestamp. Few records hold one, so a newest-first window (and the
// query it costs) finds nothing that one query over the whole range would not.
const IDENTIFIER_MIN_LENGTH = 8;
const IDENTIFIER = new RegExp(`^(?=.*[0-9])[0-9a-z]{${IDENTIFIER_MIN_LENGTH},}$`, 'i');
// Fields of the sort key: a value there narrows the read already, and service names may hold digits.
const NOT_IDENTIFYING = new Set(['service', 'level', 'pattern']);

/** Pure: whether every match of the query must hold an identifier (above), in its message or a field. */
export function requiresIdentifier(ast: QueryNode | null): boolean {
  if (ast === null) return false;
  switch (ast.kind) {
    case 'and':
      return ast.children.some(requiresIdentifier);
    case 'or':
      return ast.children.length > 0 && ast.children.every(requiresIdentifier);
    case 'not':
    case 'compare':
      return false;
    case 'term':
    case 'phrase':
      if (ast.kind === 'term' && ast.prefix) return false;
      if (ast.field !== null && NOT_IDENTIFYING.has(ast.field)) return false;
      return [...ast.text.matchAll(TOKEN_RUN)].some((m) => IDENTIFIER.test(m[0]));
  }
}

function compileBody(node: TermNode | PhraseNode, params: ParamBag): string {
  if (node.kind === 'term' && node.prefix) return wordPrefix(node.text, params);
  if (node.kind === 'term' && WORD.test(node.text)) return wholeTokens([node.text.toLowerCase()], params).join(' AND ');
  return substring(node.text, params);
}

/**
 * Conditions that the message holds each of `tokens` (lower case) as a whole token. A token without
 * a digit is looked up in the words index (migration 3), which answers without reading the message;
 * one with a digit is checked on the message, whose bloom filter per granule skips most of it.
 */
function wholeTokens(tokens: readonly string[], params: ParamBag): string[] {
  const words = tokens.filter((t) => !DIGIT.test(t));
  const others = tokens.filter((t) => DIGIT.test(t));
  const found =
    words.length === 1
      ? [`hasToken(${MESSAGE_WORDS}, ${params.add(words[0]!, 'String')})`]
      : words.length > 1
        ? [`hasAllTokens(${MESSAGE_WORDS}, ${params.add(words, 'Array(String)')})`]
        : [];
  return [...found, ...others.map((t) => `hasToken(lower(body), ${params.add(t, 'String')})`)];
}

/** Case-insensitive substring: exact check plus index-friendly conditions every match satisfies. */
function substring(text: string, params: ParamBag): string {
  if (text === '') return 'true';
  const hints = tokenHints(text, false, params);
  // lower() folds only ASCII, so it is exact for ASCII needles; other text needs the UTF-8 variant.
  // eslint-disable-next-line no-control-regex -- the whole ASCII range, control characters included
  const exact = /^[\x00-\x7f]*$/.test(text)
    ? `lower(body) LIKE ${params.add(`%${escapeLike(text.toLowerCase())}%`, 'String')}`
    : `positionCaseInsensitiveUTF8(body, ${params.add(text, 'String')}) > 0`;
  return all([...hints, exact]);
}

/** A word of the message starting with `text` (case-insensitive). */
function wordPrefix(text: string, params: ParamBag): string {
  if (text === '') return 'true';
  const hints = tokenHints(text, true, params);
  return all([...hints, `match(body, ${params.add(`(?i)${BOUNDARY}${escapeRe2(text)}`, 'String')})`]);
}

/**
 * Conditions on the indexes implied by `text` occurring in the message: a run of letters and digits
 * inside `text` with separators on both sides is a whole token of the message. A run at an edge may
 * be part of a longer token; no index answers that (the text index over every token did, by scanning
 * its dictionary, until migration 3), so the exact check alone decides.
 * Runs with non-ASCII characters are skipped: lower() leaves their case alone.
 */
function tokenHints(text: string, startsAtBoundary: boolean, params: ParamBag): string[] {
  const whole = new Set<string>();
  for (const m of text.matchAll(TOKEN_RUN)) {
    const run = m[0].toLowerCase();
    if (!WORD.test(run)) continue;
    if ((m.index > 0 || startsAtBoundary) && m.index + run.length < text.length) whole.add(run);
  }
  return wholeTokens([...whole], params);
}

function escapeLike(text: string): string {
  return text.replace(/[\\%_]/g, '\\$&');
}

// Every ASCII character other than a letter or digit becomes \x{..}, so no RE2 syntax survives.
function escapeRe2(text: string): string {
  return text.replace(/[^0-9A-Za-z\u{80}-\u{10FFFF}]/gu, (ch) => `\\x{${ch.charCodeAt(0).toString(16)}}`);
}

function all(conditions: string[]): string {
  return conditions.length === 1 ? conditions[0]! : `(${conditions.join(' AND ')})`;
}

/**
 * `pattern:"<template>"`: the whole message fits the template (packages/query-language/src/template.ts),
 * checked by its regular expression after the words index has narrowed to messages with its constant words.
 */
function compilePattern(node: LeafNode, params: ParamBag): string {
  if (node.kind === 'compare' || (node.kind === 'term' && node.prefix))
    throw new SearchCompileError('pattern', 'pattern: takes a template, such as pattern:"GET /items/<NUM> <NUM>"');
  return all([
    ...wholeTokens(templateWords(node.text), params),
    `match(body, ${params.add(templateRegex(node.text), 'String')})`,
  ]);
}

// ---- columns and maps --------------------------------------------------------------------------

type Column = 'service' | 'trace_id' | 'span_id';

function compileColumn(column: Column, node: LeafNode, params: ParamBag, normalize: (v: string) => string): string {
  if (node.kind === 'compare') throw notNumeric(column);
  if (node.kind === 'term' && node.prefix) {
    return node.text === '' ? 'true' : `startsWith(${column}, ${params.add(normalize(node.text), 'String')})`;
  }
  return `${column} = ${params.add(normalize(node.text), 'String')}`;
}

function compileLevel(node: LeafNode, params: ParamBag): string {
  if (node.kind === 'compare') throw notNumeric('level');
  const levelList = LEVELS.join(', ');
  if (node.kind === 'term' && node.prefix) {
    const levels = LEVELS.filter((l) => l.startsWith(node.text.toLowerCase()));
    if (levels.length === 0)
      throw new SearchCompileError('level', `No level starts with "${node.text}"; levels are ${levelList}`);
    return `has(${params.add(levels, 'Array(String)')}, level)`;
  }
  const level = levelFromText(node.text);
  if (!level)
    throw new SearchCompileError(
      'level',
      `Unknown level "${node.text}"; use ${levelList} or an alias such as warning or err`,
    );
  return `level = ${params.add(level, 'String')}`;
}

const OPERATORS: Record<CompareOp, string> = { '>': '>', '>=': '>=', '<': '<', '<=': '<=' };

/**
 * `key:value` on the attribute maps: `attributes.k` and `resource.k` pick one map, a plain key
 * looks in both. A missing key reads as '' and a missing or non-numeric value compares false,
 * so negations (`-k:v`, `-k:>5`) keep records that lack the key.
 */
function compileMaps(field: string, node: LeafNode, params: ParamBag): string {
  const scoped = /^(attributes|resource)\.(.+)$/s.exec(field);
  const maps = scoped ? [scoped[1] === 'attributes' ? 'attributes' : 'resource'] : ['attributes', 'resource'];
  const key = scoped ? scoped[2]! : field;
  const k = params.add(key, 'String');
  let test: (map: string) => string;
  if (node.kind === 'compare') {
    const op = Object.hasOwn(OPERATORS, node.op) ? OPERATORS[node.op] : undefined;
    if (!op) throw new TypeError(`Unknown comparison ${JSON.stringify(node.op)}`);
    const v = params.add(node.value, 'Float64');
    test = (m) => `ifNull(toFloat64OrNull(${m}[${k}]) ${op} ${v}, false)`;
  } else if (node.kind === 'term' && node.prefix) {
    const v = node.text === '' ? '' : params.add(node.text, 'String');
    test = (m) => (v === '' ? `mapContains(${m}, ${k})` : `startsWith(${m}[${k}], ${v})`);
  } else {
    // A missing key reads as '', so `k:""` must also ask for the key to be present.
    const v = node.text === '' ? '' : params.add(node.text, 'String');
    test = (m) => (v === '' ? `(mapContains(${m}, ${k}) AND ${m}[${k}] = '')` : `${m}[${k}] = ${v}`);
  }
  return maps.length === 1 ? test(maps[0]!) : `(${maps.map(test).join(' OR ')})`;
}

function notNumeric(field: string | null): SearchCompileError {
  const name = field ?? 'message';
  return new SearchCompileError(name, `"${name}" holds text; comparisons such as field:>5 work on numeric attributes`);
}
