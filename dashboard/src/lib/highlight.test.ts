import { test } from 'node:test';
import assert from 'node:assert/strict';
import { highlighterFor, mergeRanges, positiveLeaves, splitByRanges } from './highlight.ts';
import { parseQuery } from '@instant-logs/query-language';

const marked = (q: string, text: string) =>
  highlighterFor(q)
    .message(text)
    .map(([s, e]) => text.slice(s, e));

test('a plain word marks whole words only, in any case, like the store matches it', () => {
  assert.deepEqual(marked('timeout', 'Timeout after TIMEOUT; timeouts retried'), ['Timeout', 'TIMEOUT']);
});

test('a phrase and text with separators mark every occurrence, even inside words', () => {
  assert.deepEqual(marked('"card declined"', 'Card Declined: card declined again'), ['Card Declined', 'card declined']);
  assert.deepEqual(marked('user-42', 'user-42 and user-420'), ['user-42', 'user-42']);
});

test('a prefix marks the start of words only', () => {
  assert.deepEqual(marked('time*', 'timeout overtime Timed'), ['time', 'Time']);
});

test('negated clauses mark nothing, a double negation marks again', () => {
  assert.deepEqual(marked('card -declined', 'card declined'), ['card']);
  assert.deepEqual(marked('NOT (card OR declined)', 'card declined'), []);
  assert.deepEqual(marked('-(-declined)', 'card declined'), ['declined']);
});

test('every branch of an OR marks, and message: or body: are the message', () => {
  assert.deepEqual(marked('failed OR message:card body:"decl"', 'payment failed: card declined'), [
    'failed',
    'card',
    'decl',
  ]);
});

test('field clauses mark the values of their field, not the message', () => {
  const h = highlighterFor('service:checkout provider:stripe attributes.http.status:>=400 -level:debug');
  assert.deepEqual(h.message('checkout stripe'), []);
  assert.deepEqual(h.field('service', 'checkout'), [[0, 8]]);
  assert.deepEqual(h.field('service', 'checkout-v2'), []);
  assert.deepEqual(h.field('attributes.provider', 'stripe'), [[0, 6]]);
  assert.deepEqual(h.field('resource.provider', 'stripe'), [[0, 6]]);
  assert.deepEqual(h.field('attributes.http.status', '502'), [[0, 3]]);
  assert.deepEqual(h.field('attributes.http.status', '200'), []);
  assert.deepEqual(h.field('level', 'debug'), []);
});

test('level aliases, id case and value prefixes follow the search', () => {
  assert.deepEqual(highlighterFor('level:WARNING').field('level', 'warn'), [[0, 4]]);
  assert.deepEqual(highlighterFor('trace_id:ABC1').field('trace_id', 'abc1'), [[0, 4]]);
  assert.deepEqual(highlighterFor('service:pay*').field('service', 'payments'), [[0, 3]]);
});

test('an unparsable query, "*" and regex characters in the text are all safe', () => {
  assert.deepEqual(marked('service:', 'service: x'), []);
  assert.deepEqual(marked('*', 'anything'), []);
  assert.deepEqual(marked('"a.b(c"', 'a.b(c axb(c'), ['a.b(c']);
});

test('the leaves that count are those under an even number of negations', () => {
  const leaves = positiveLeaves(parseQuery('a -b NOT (c -d)'));
  assert.deepEqual(
    leaves.map((l) => (l.kind === 'compare' ? l.field : l.text)),
    ['a', 'd'],
  );
});

test('overlapping ranges are joined, and a text splits into plain and marked pieces', () => {
  assert.deepEqual(
    mergeRanges([
      [5, 8],
      [0, 2],
      [1, 3],
      [8, 9],
    ]),
    [
      [0, 3],
      [5, 9],
    ],
  );
  assert.deepEqual(splitByRanges('abcdef', [[1, 3]]), [
    { text: 'a', mark: false },
    { text: 'bc', mark: true },
    { text: 'def', mark: false },
  ]);
  assert.deepEqual(splitByRanges('', []), [{ text: '', mark: false }]);
});
