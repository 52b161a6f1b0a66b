import { test } from 'node:test';
import assert from 'node:assert/strict';
import fc from 'fast-check';
import type { QueryNode } from './ast.ts';
import { QuerySyntaxError } from './errors.ts';
import { formatQuery } from './format.ts';
import { parseQuery } from './parser.ts';

// Fragments that exercise every branch of the lexer and parser when glued together at random.
const fragment = fc.oneof(
  fc.constantFrom(
    ' ',
    '(',
    ')',
    '"',
    '\\',
    '-',
    '*',
    ':',
    '>',
    '>=',
    '<',
    '=',
    'AND',
    'OR',
    'NOT',
    'and',
    'a',
    'b1',
    'f:',
    'é',
    '\t',
    '1.5',
    'e9',
  ),
  fc.string({ unit: 'binary', maxLength: 3 }),
);
const queryish = fc.array(fragment, { maxLength: 30 }).map((parts) => parts.join(''));

/** Runs the parser and returns what it did, failing on anything but a QuerySyntaxError. */
function attempt(q: string): QueryNode | null | QuerySyntaxError {
  try {
    return parseQuery(q);
  } catch (err) {
    if (!(err instanceof QuerySyntaxError)) throw err;
    assert.ok(err.position >= 0 && err.position <= q.length, `position ${err.position} outside ${JSON.stringify(q)}`);
    return err;
  }
}

test('random text either parses or fails with a QuerySyntaxError inside the text', () => {
  fc.assert(
    fc.property(fc.oneof(queryish, fc.string({ unit: 'binary' })), (q) => void attempt(q)),
    { numRuns: 5000 },
  );
});

test('whatever parses is written back to text that parses to the same tree', () => {
  fc.assert(
    fc.property(queryish, (q) => {
      const ast = attempt(q);
      if (ast === null || ast instanceof QuerySyntaxError) return;
      assert.deepEqual(parseQuery(formatQuery(ast)), ast);
    }),
    { numRuns: 5000 },
  );
});

const wordChar = fc.constantFrom('a', 'Z', '0', '9', '_', '.', '/', '@', 'é', '日', '%', "'", '\\');
const laterChar = fc.oneof(wordChar, fc.constantFrom('-', '>', '<', ':'));
const word = (inner: fc.Arbitrary<string>) =>
  fc.tuple(wordChar, fc.string({ unit: inner, maxLength: 8 })).map(([first, rest]) => first + rest);
const fieldName = word(fc.oneof(wordChar, fc.constantFrom('-', '>', '<')));
const field = fc.option(fieldName, { nil: null });

// fc.record builds null-prototype objects by default; the parser builds plain ones.
const plain = { noNullPrototype: true };
const term = fc.oneof(
  // A bare word may not contain ":" (it would become a field) nor be an operator.
  fc
    .record(
      {
        kind: fc.constant('term' as const),
        field: fc.constant(null),
        text: word(fc.oneof(wordChar, fc.constantFrom('-', '>', '<'))),
        prefix: fc.boolean(),
      },
      plain,
    )
    .filter((t) => t.prefix || !['AND', 'OR', 'NOT'].includes(t.text)),
  fc.record(
    { kind: fc.constant('term' as const), field: fieldName, text: word(laterChar), prefix: fc.boolean() },
    plain,
  ),
  fc.record({ kind: fc.constant('term' as const), field, text: fc.constant(''), prefix: fc.constant(true) }, plain),
);
const phrase = fc.record(
  { kind: fc.constant('phrase' as const), field, text: fc.string({ unit: 'binary', maxLength: 12 }) },
  plain,
);
const compare = fc.record(
  {
    kind: fc.constant('compare' as const),
    field: fieldName,
    op: fc.constantFrom('>' as const, '>=' as const, '<' as const, '<=' as const),
    value: fc.double({ noNaN: true, noDefaultInfinity: true }).map((v) => (v === 0 ? 0 : v)),
  },
  plain,
);

const tree = fc.letrec<{ node: QueryNode; and: QueryNode; or: QueryNode; not: QueryNode }>((tie) => ({
  node: fc.oneof(
    { maxDepth: 4, depthSize: 'small', withCrossShrink: true },
    term,
    phrase,
    compare,
    tie('and'),
    tie('or'),
    tie('not'),
  ),
  and: fc.array(tie('node'), { minLength: 2, maxLength: 3 }).map((children) => ({ kind: 'and' as const, children })),
  or: fc.array(tie('node'), { minLength: 2, maxLength: 3 }).map((children) => ({ kind: 'or' as const, children })),
  not: tie('node').map((child) => ({ kind: 'not' as const, child })),
})).node;

test('every generated tree survives formatQuery then parseQuery unchanged', () => {
  fc.assert(
    fc.property(tree, (ast) => assert.deepEqual(parseQuery(formatQuery(ast)), ast)),
    { numRuns: 3000 },
  );
});
