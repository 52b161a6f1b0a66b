import { test } from 'node:test';
import assert from 'node:assert/strict';
import type { QueryNode } from './ast.ts';
import { QuerySyntaxError } from './errors.ts';
import { parseQuery } from './parser.ts';

const t = (text: string, field: string | null = null, prefix = false): QueryNode => ({
  kind: 'term',
  field,
  text,
  prefix,
});
const p = (text: string, field: string | null = null): QueryNode => ({ kind: 'phrase', field, text });
const and = (...children: QueryNode[]): QueryNode => ({ kind: 'and', children });
const or = (...children: QueryNode[]): QueryNode => ({ kind: 'or', children });
const not = (child: QueryNode): QueryNode => ({ kind: 'not', child });

const parsed: [string, QueryNode | null][] = [
  ['', null],
  [' \t\n ', null],
  ['timeout', t('timeout')],
  ['  timeout  ', t('timeout')],
  ['connection timeout', and(t('connection'), t('timeout'))],
  ['a AND b', and(t('a'), t('b'))],
  ['a OR b', or(t('a'), t('b'))],
  ['a b OR c', or(and(t('a'), t('b')), t('c'))],
  ['a OR b c', or(t('a'), and(t('b'), t('c')))],
  ['a OR b OR c', or(t('a'), t('b'), t('c'))],
  ['(a OR b) c', and(or(t('a'), t('b')), t('c'))],
  ['(a b) c', and(and(t('a'), t('b')), t('c'))],
  ['((a))', t('a')],
  ['(a)(b)', and(t('a'), t('b'))],
  ['"connection refused"', p('connection refused')],
  ['"say \\"hi\\" \\\\ C:\\temp"', p('say "hi" \\ C:\\temp')],
  ['""', p('')],
  ['("a b")', p('a b')],
  ['-debug', not(t('debug'))],
  ['NOT debug', not(t('debug'))],
  ['NOT(a b)', not(and(t('a'), t('b')))],
  ['-"a b"', not(p('a b'))],
  ['--x', not(not(t('x')))],
  ['a -b', and(t('a'), not(t('b')))],
  ['user-42 10.0.0.1 /api/v1', and(t('user-42'), t('10.0.0.1'), t('/api/v1'))],
  ['or and not', and(t('or'), t('and'), t('not'))],
  ['NOT*', t('NOT', null, true)],
  ['timeo*', t('timeo', null, true)],
  ['*', t('', null, true)],
  ['service:checkout', t('checkout', 'service')],
  ['service:pay*', t('pay', 'service', true)],
  ['http.status_code:*', t('', 'http.status_code', true)],
  ['service:"pay api"', p('pay api', 'service')],
  ['service:""', p('', 'service')],
  ['-level:debug', not(t('debug', 'level'))],
  ['url:http://x/y?a=b', t('http://x/y?a=b', 'url')],
  ['attributes.user:-1', t('-1', 'attributes.user')],
  ['latency:>500', { kind: 'compare', field: 'latency', op: '>', value: 500 }],
  ['latency:>=0.5', { kind: 'compare', field: 'latency', op: '>=', value: 0.5 }],
  ['latency:<10', { kind: 'compare', field: 'latency', op: '<', value: 10 }],
  ['latency:<=-1e3', { kind: 'compare', field: 'latency', op: '<=', value: -1000 }],
  ['n:>-0', { kind: 'compare', field: 'n', op: '>', value: 0 }],
  ['f:">5"', p('>5', 'f')],
];

for (const [query, want] of parsed) {
  test(`parses ${JSON.stringify(query)}`, () => assert.deepEqual(parseQuery(query), want));
}

const refused: [string, string, number][] = [
  ['"abc', 'unclosed quote', 0],
  ['a "b \\"', 'unclosed quote', 2],
  ['"a"b', 'expected a space after the closing quote', 3],
  ['service:', 'missing value after "service:"', 8],
  ['service: x', 'missing value after "service:"', 8],
  ['service:(a OR b)', 'missing value after "service:" (groups like service:(a OR b) are not supported)', 8],
  [':x', 'missing field name before ":"', 0],
  ['a*:x', 'wildcard "*" is not allowed in a field name', 1],
  ['a*b', 'wildcard "*" is only allowed at the end of a term', 1],
  ['f:a**', 'wildcard "*" is only allowed at the end of a term', 3],
  ['foo"bar"', 'unexpected quote inside a word (put a space before it)', 3],
  ['f(x)', 'unexpected "(" inside a word (quote text that contains parentheses)', 1],
  ['f:>', 'expected a number after "f:>"', 3],
  ['f:>=x', 'expected a number after "f:>="', 4],
  ['f:<1e999', 'expected a number after "f:<"', 3],
  ['a )', 'unexpected ")"', 2],
  [')', 'unexpected ")"', 0],
  ['(a', 'unclosed "("', 0],
  ['(', 'unclosed "("', 0],
  ['a (b (c)', 'unclosed "("', 2],
  ['()', 'empty parentheses', 1],
  ['a OR', 'missing term after "OR"', 4],
  ['a AND ', 'missing term after "AND"', 5],
  ['OR a', 'unexpected "OR"', 0],
  ['a OR OR b', 'unexpected "OR"', 5],
  ['a AND OR b', 'unexpected "OR"', 6],
  ['(a OR)', 'unexpected ")"', 5],
  ['NOT', 'missing term after "NOT"', 3],
  ['a NOT', 'missing term after "NOT"', 5],
  ['NOT OR', 'unexpected "OR"', 4],
  ['-', 'missing term after "-"', 1],
  ['a - b', 'missing term after "-"', 3],
  ['(a -)', 'missing term after "-"', 4],
  ['x'.repeat(4097), 'query is longer than 4096 characters', 4096],
  ['('.repeat(33) + 'a' + ')'.repeat(33), 'query nests deeper than 32 levels', 32],
  ['-'.repeat(33) + 'a', 'query nests deeper than 32 levels', 32],
  [Array.from({ length: 201 }, (_, i) => `t${i}`).join(' '), 'query has more than 200 clauses', 890],
];

for (const [query, reason, position] of refused) {
  test(`refuses ${JSON.stringify(query.length > 40 ? `${query.slice(0, 40)}…` : query)} at ${position}`, () => {
    assert.throws(
      () => parseQuery(query),
      (err: unknown) =>
        err instanceof QuerySyntaxError &&
        err.reason === reason &&
        err.position === position &&
        err.message === `${reason} at ${position}`,
    );
  });
}

test('accepts exactly the limits', () => {
  assert.ok(parseQuery('x'.repeat(4096)));
  assert.ok(parseQuery('('.repeat(32) + 'a' + ')'.repeat(32)));
  assert.ok(parseQuery(Array.from({ length: 200 }, (_, i) => `t${i}`).join(' ')));
});
