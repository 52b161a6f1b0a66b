import type { CompareOp, LeafNode } from './ast.ts';
import { QuerySyntaxError } from './errors.ts';

/** One lexical unit with its span in the query text; leaves arrive already interpreted. */
export type Token =
  | { type: '(' | ')' | '-' | 'AND' | 'OR' | 'NOT'; pos: number; end: number }
  | { type: 'leaf'; pos: number; end: number; node: LeafNode };

const KEYWORDS = new Set(['AND', 'OR', 'NOT']);
const NUMBER = /^[+-]?(?:\d+(?:\.\d*)?|\.\d+)(?:[eE][+-]?\d+)?$/;
const COMPARE = /^(>=|<=|>|<)/;

/** Pure: whether `ch` separates words (the same set formatQuery refuses inside bare words). */
export function isSpace(ch: string): boolean {
  return /\s/.test(ch);
}

/** Pure: whether `word` is an operator rather than a term (only upper case counts). */
export function isKeyword(word: string): boolean {
  return KEYWORDS.has(word);
}

const endsWord = (ch: string) => ch === '(' || ch === ')' || ch === '"' || isSpace(ch);

// Error messages quote user text; a 4 KiB field name would drown the message.
const show = (s: string) => (s.length > 40 ? `${s.slice(0, 40)}…` : s);

/** Pure: splits a query into tokens; throws QuerySyntaxError for malformed words and quotes. */
export function tokenize(q: string): Token[] {
  const tokens: Token[] = [];
  let i = 0;
  while (i < q.length) {
    const ch = q[i]!;
    if (isSpace(ch)) {
      i++;
    } else if (ch === '(' || ch === ')') {
      tokens.push({ type: ch, pos: i, end: i + 1 });
      i++;
    } else if (ch === '-') {
      const next = q[i + 1];
      if (next === undefined || next === ')' || isSpace(next))
        throw new QuerySyntaxError('missing term after "-"', i + 1);
      tokens.push({ type: '-', pos: i, end: i + 1 });
      i++;
    } else if (ch === '"') {
      const { text, end } = readQuoted(q, i);
      tokens.push({ type: 'leaf', pos: i, end, node: { kind: 'phrase', field: null, text } });
      i = end;
    } else {
      let end = i;
      while (end < q.length && !endsWord(q[end]!)) end++;
      const word = q.slice(i, end);
      if (word === 'AND' || word === 'OR' || word === 'NOT') {
        tokens.push({ type: word, pos: i, end });
      } else {
        const leaf = readWord(q, i, end);
        tokens.push({ type: 'leaf', pos: i, end: leaf.end, node: leaf.node });
        end = leaf.end;
      }
      i = end;
    }
  }
  return tokens;
}

function readWord(q: string, start: number, end: number): { node: LeafNode; end: number } {
  const word = q.slice(start, end);
  const colon = word.indexOf(':');
  if (colon === 0) throw new QuerySyntaxError('missing field name before ":"', start);
  if (colon === -1) return { node: term(null, word, start), end: checkAfterWord(q, end) };
  const field = word.slice(0, colon);
  const star = field.indexOf('*');
  if (star >= 0) throw new QuerySyntaxError('wildcard "*" is not allowed in a field name', start + star);
  const valueAt = start + colon + 1;
  const value = word.slice(colon + 1);
  if (value === '') {
    if (q[end] === '"') {
      const quoted = readQuoted(q, end);
      return { node: { kind: 'phrase', field, text: quoted.text }, end: quoted.end };
    }
    const hint = q[end] === '(' ? ` (groups like ${show(field)}:(a OR b) are not supported)` : '';
    throw new QuerySyntaxError(`missing value after "${show(field)}:"${hint}`, valueAt);
  }
  const cmp = COMPARE.exec(value);
  if (cmp) {
    const op = cmp[1] as CompareOp;
    const number = value.slice(op.length);
    const n = Number(number);
    if (!NUMBER.test(number) || !Number.isFinite(n)) {
      throw new QuerySyntaxError(`expected a number after "${show(field)}:${op}"`, valueAt + op.length);
    }
    // -0 would survive no round trip through text; it compares like 0 anyway.
    return { node: { kind: 'compare', field, op, value: n === 0 ? 0 : n }, end: checkAfterWord(q, end) };
  }
  return { node: term(field, value, valueAt), end: checkAfterWord(q, end) };
}

function term(field: string | null, raw: string, at: number): LeafNode {
  const prefix = raw.endsWith('*');
  const text = prefix ? raw.slice(0, -1) : raw;
  const star = text.indexOf('*');
  if (star >= 0) throw new QuerySyntaxError('wildcard "*" is only allowed at the end of a term', at + star);
  return { kind: 'term', field, text, prefix };
}

// `foo"bar"` and `foo(bar)` are refused rather than split, so text pasted from a log line
// never turns silently into two clauses or a group.
function checkAfterWord(q: string, end: number): number {
  if (q[end] === '"') throw new QuerySyntaxError('unexpected quote inside a word (put a space before it)', end);
  if (q[end] === '(')
    throw new QuerySyntaxError('unexpected "(" inside a word (quote text that contains parentheses)', end);
  return end;
}

function readQuoted(q: string, open: number): { text: string; end: number } {
  let text = '';
  for (let i = open + 1; i < q.length; i++) {
    const ch = q[i]!;
    // Only \" and \\ are escapes, so Windows paths such as "C:\temp" need no doubling.
    if (ch === '\\' && (q[i + 1] === '"' || q[i + 1] === '\\')) {
      text += q[++i];
    } else if (ch === '"') {
      const after = q[i + 1];
      if (after !== undefined && after !== ')' && !isSpace(after)) {
        throw new QuerySyntaxError('expected a space after the closing quote', i + 1);
      }
      return { text, end: i + 1 };
    } else {
      text += ch;
    }
  }
  throw new QuerySyntaxError('unclosed quote', open);
}
