import { test } from 'node:test';
import assert from 'node:assert/strict';
import { QUERY_LIMITS } from './ast.ts';
import { QuerySyntaxError } from './errors.ts';
import { parseQuery } from './parser.ts';

const refusal = (q: string): QuerySyntaxError => {
  try {
    parseQuery(q);
  } catch (err) {
    assert.ok(err instanceof QuerySyntaxError, `expected a QuerySyntaxError, got ${String(err)}`);
    assert.ok(err.position >= 0 && err.position <= q.length, `position ${err.position} outside the text`);
    return err;
  }
  assert.fail(`expected ${JSON.stringify(q.slice(0, 60))} to be refused`);
};

const abuse: [string, string, string, number][] = [
  [
    '10k opening parentheses',
    '('.repeat(10_000),
    `query is longer than ${QUERY_LIMITS.maxLength} characters`,
    QUERY_LIMITS.maxLength,
  ],
  [
    'parentheses just under the length limit',
    '('.repeat(2000) + 'a' + ')'.repeat(2000),
    `query nests deeper than ${QUERY_LIMITS.maxDepth} levels`,
    32,
  ],
  ['a thousand negations', '-'.repeat(1000) + 'a', `query nests deeper than ${QUERY_LIMITS.maxDepth} levels`, 32],
  [
    'NOT NOT … nested past the depth limit',
    'NOT '.repeat(40) + 'a',
    `query nests deeper than ${QUERY_LIMITS.maxDepth} levels`,
    128,
  ],
  [
    'an OR chain of 800 terms',
    Array.from({ length: 800 }, () => 'a').join(' OR '),
    `query has more than ${QUERY_LIMITS.maxClauses} clauses`,
    1000,
  ],
  [
    'a term one past the length limit',
    'x'.repeat(QUERY_LIMITS.maxLength + 1),
    `query is longer than ${QUERY_LIMITS.maxLength} characters`,
    QUERY_LIMITS.maxLength,
  ],
  ['an unbalanced quote after text', 'level:error "disk', 'unclosed quote', 12],
  ['a quote closing straight into a word', '"a"b"c"', 'expected a space after the closing quote', 3],
  ['a lone OR', 'OR', 'unexpected "OR"', 0],
  ['a lone AND after a group', '(a) AND', 'missing term after "AND"', 7],
  ['a lone NOT', 'NOT', 'missing term after "NOT"', 3],
  ['a dangling minus', 'a -', 'missing term after "-"', 3],
  ['a lone closing parenthesis', ')', 'unexpected ")"', 0],
  ['wildcards everywhere', '*a*b*', 'wildcard "*" is only allowed at the end of a term', 0],
  ['a wildcard field name', '*:x', 'wildcard "*" is not allowed in a field name', 0],
  ['a double wildcard', 'ab**', 'wildcard "*" is only allowed at the end of a term', 2],
  ['SQL in an unquoted word', "') OR (tenant = 'b'", 'unexpected ")"', 1],
  ['an infinite comparison', 'n:>1e400', 'expected a number after "n:>"', 3],
  ['a SQL comment', "' OR 1=1 --", 'missing term after "-"', 11],
];
for (const [what, q, reason, position] of abuse) {
  test(`refuses ${what} with a positioned syntax error`, () => {
    const err = refusal(q);
    assert.equal(err.reason, reason);
    assert.equal(err.position, position);
  });
}

test('SQL fragments that parse stay plain search text', () => {
  assert.deepEqual(parseQuery("' OR 1=1; DROP"), {
    kind: 'or',
    children: [
      { kind: 'term', field: null, text: "'", prefix: false },
      {
        kind: 'and',
        children: [
          { kind: 'term', field: null, text: '1=1;', prefix: false },
          { kind: 'term', field: null, text: 'DROP', prefix: false },
        ],
      },
    ],
  });
  assert.deepEqual(parseQuery('tenant:b'), { kind: 'term', field: 'tenant', text: 'b', prefix: false });
});

test('a lone surrogate or NUL is an ordinary character of a term', () => {
  assert.deepEqual(parseQuery('a\ud800b \u0000'), {
    kind: 'and',
    children: [
      { kind: 'term', field: null, text: 'a\ud800b', prefix: false },
      { kind: 'term', field: null, text: '\u0000', prefix: false },
    ],
  });
});
