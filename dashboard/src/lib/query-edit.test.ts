import { test } from 'node:test';
import assert from 'node:assert/strict';
import { parseQuery } from '@instant-logs/query-language';
import { addClause, describeProblem, filterClause, syntaxProblem } from './query-edit.ts';

test('a valid query has no syntax problem', () => {
  assert.equal(syntaxProblem('timeout service:checkout -level:debug'), null);
  assert.equal(syntaxProblem(''), null);
});

test('a syntax problem carries the parser reason and the position to point at', () => {
  assert.deepEqual(syntaxProblem('service:'), { message: 'missing value after "service:"', position: 8 });
  assert.equal(syntaxProblem('"card declined')?.position, 0);
});

test('filter clauses quote only the values that need it, and parse back to the same value', () => {
  assert.equal(filterClause('service', 'checkout'), 'service:checkout');
  assert.equal(filterClause('provider', 'big bank'), 'provider:"big bank"');
  assert.equal(filterClause('attributes.path', '/orders/*'), 'attributes.path:"/orders/*"');
  assert.equal(filterClause('http.status_code', '>=500'), 'http.status_code:">=500"');
  assert.equal(filterClause('note', 'say "hi"'), 'note:"say \\"hi\\""');
  assert.equal(filterClause('level', 'debug', true), '-level:debug');
  for (const value of ['a:b', '-x', 'OR', '(x)', 'C:\\temp']) {
    const ast = parseQuery(filterClause('f', value));
    assert.ok(ast && (ast.kind === 'term' || ast.kind === 'phrase') && ast.text === value, value);
  }
});

test('adding a clause ANDs it on, once, and keeps a top-level OR intact', () => {
  assert.equal(addClause('', 'service:a'), 'service:a');
  assert.equal(addClause('timeout ', 'service:a'), 'timeout service:a');
  assert.equal(addClause('timeout service:a', 'service:a'), 'timeout service:a');
  assert.equal(addClause('a OR b', 'service:x'), '(a OR b) service:x');
});

test('a problem is told with a 1-based column that points where the 0-based position does', () => {
  const p = syntaxProblem('timeout service:')!;
  assert.equal(p.position, 16);
  assert.equal(describeProblem(p), 'missing value after "service:" at column 17');
  // A message that already names the raw offset does not name a second place.
  assert.equal(describeProblem({ message: 'unexpected ")" at 0', position: 0 }), 'unexpected ")" at column 1');
});
