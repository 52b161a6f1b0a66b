import { test } from 'node:test';
import assert from 'node:assert/strict';
import type { QueryNode } from './ast.ts';
import { formatQuery } from './format.ts';
import { parseQuery } from './parser.ts';

const canonical: [string, string][] = [
  ['a   AND b', 'a b'],
  ['NOT (a)', '-a'],
  ['a OR b c', 'a OR (b c)'],
  ['((a b)) c', '(a b) c'],
  ['NOT (a OR b)', '-(a OR b)'],
  ['"say \\"hi\\" C:\\temp"', '"say \\"hi\\" C:\\\\temp"'],
  ['service:"pay api" latency:>=1.50', 'service:"pay api" latency:>=1.5'],
  ['f:<.5e1 g:>-0', 'f:<5 g:>0'],
  ['timeo* f:*', 'timeo* f:*'],
];

for (const [query, want] of canonical) {
  test(`writes ${JSON.stringify(query)} as ${JSON.stringify(want)}`, () => {
    const ast = parseQuery(query)!;
    assert.equal(formatQuery(ast), want);
    assert.deepEqual(parseQuery(want), ast);
  });
}

const term = (text: string, field: string | null = null, prefix = false): QueryNode => ({
  kind: 'term',
  field,
  text,
  prefix,
});
const unwritable: [string, QueryNode][] = [
  ['a term with a space', term('a b')],
  ['a term with a quote', term('a"b')],
  ['a term with a star', term('a*b')],
  ['an empty term', term('')],
  ['a keyword as a term', term('OR')],
  ['a bare term with a colon', term('a:b')],
  ['a bare term starting with "-"', term('-a')],
  ['a field value starting with ">"', term('>5', 'f')],
  ['an empty field name', term('x', '')],
  ['a field name with a colon', term('x', 'a:b')],
  ['a field name starting with "-"', term('x', '-a')],
  ['a one-child group', { kind: 'and', children: [term('a')] }],
  ['an infinite comparison', { kind: 'compare', field: 'f', op: '>', value: Infinity }],
];

for (const [what, node] of unwritable) {
  test(`refuses to write ${what}`, () => assert.throws(() => formatQuery(node), TypeError));
}
