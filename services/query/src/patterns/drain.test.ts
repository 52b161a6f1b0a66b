import { test } from 'node:test';
import assert from 'node:assert/strict';
import fc from 'fast-check';
import { templateRegex } from '@instant-logs/query-language';
import { clusterMessages } from './drain.ts';

const fits = (template: string, message: string) => new RegExp(templateRegex(template), 'u').test(message);
const templates = (messages: string[]) =>
  clusterMessages(messages)
    .map((c) => c.template)
    .sort();

test('messages differing only in variable parts share a template', () => {
  assert.deepEqual(templates(['GET /items/1 in 5ms', 'GET /items/22 in 13ms', 'payment captured']), [
    'GET /items/<NUM> in <DURATION>',
    'payment captured',
  ]);
});

test('a constant word that varies becomes <*> when most of the constant words agree', () => {
  assert.deepEqual(templates(['user alice logged in', 'user bob logged in', 'user carol logged out']), [
    'user <*> logged in',
    'user carol logged out',
  ]);
  // Placeholders they share do not make two requests to different paths the same event.
  assert.deepEqual(templates(['GET /a 200 3ms', 'GET /b 200 5ms', 'GET /a 404 9ms']), [
    'GET /a <NUM> <DURATION>',
    'GET /b <NUM> <DURATION>',
  ]);
  assert.deepEqual(templates(['disk full', 'disk ok']), ['disk full', 'disk ok']);
});

test('messages of different lengths or first words never share a template', () => {
  assert.deepEqual(templates(['job started', 'job started twice', 'task started']), [
    'job started',
    'job started twice',
    'task started',
  ]);
});

test('templates that one message could fit both of are merged', () => {
  // The first two make "k <*> <*> <*> d e f g h i", the last two "k a b c d e f <*> <*> <*>",
  // and "k a b c d e f g h i" fits both.
  const clusters = clusterMessages([
    'k a b c d e f g h i',
    'k x y z d e f g h i',
    'k a b c d e f r s t',
    'k a b c d e f u v w',
  ]);
  assert.deepEqual(clusters, [{ template: 'k <*> <*> <*> d e f <*> <*> <*>', members: [0, 1, 2, 3] }]);
});

test('templates whose placeholders both match one message are merged', () => {
  // `0` is a <NUM> and `0A` an <ID>, and an <ID> matches `0` as well; a token varies as a whole.
  assert.deepEqual(clusterMessages(['GET /items/0', 'GET /items/0A']), [{ template: 'GET <*>', members: [0, 1] }]);
});

test('an empty message has the empty template', () => {
  assert.deepEqual(clusterMessages(['', '  ']), [{ template: '', members: [0, 1] }]);
});

// Messages from a few shapes with variable parts, so that clusters really form.
const shaped = fc
  .tuple(
    fc.constantFrom('GET /items/%', 'user % logged in', 'payment % declined: %', 'job % took % after %', '%', '% %'),
    fc.array(
      fc.oneof(
        fc.integer().map(String),
        fc.uuid(),
        fc.ipV4(),
        fc.constantFrom('alice', 'bob', '"a b"', 'x=1', 'card'),
        fc.string({ maxLength: 6 }),
      ),
      { minLength: 3, maxLength: 3 },
    ),
  )
  .map(([shape, values]) => values.reduce((s, v) => s.replace('%', v), shape));

test('every message matches the template it was assigned to, and is assigned once (property)', () => {
  fc.assert(
    fc.property(fc.array(shaped, { maxLength: 60 }), (messages) => {
      const clusters = clusterMessages(messages);
      const assigned = clusters.flatMap((c) => c.members).sort((a, b) => a - b);
      assert.deepEqual(
        assigned,
        messages.map((_, i) => i),
      );
      for (const c of clusters)
        for (const i of c.members) assert.ok(fits(c.template, messages[i]!), `${messages[i]} !~ ${c.template}`);
    }),
    { numRuns: 500 },
  );
});

test('a template never contains a raw number or uuid (property)', () => {
  fc.assert(
    fc.property(fc.array(shaped, { maxLength: 40 }), (messages) => {
      for (const { template } of clusterMessages(messages))
        assert.doesNotMatch(template.replace(/<[A-Z*]+>/g, ''), /[0-9]/, template);
    }),
    { numRuns: 500 },
  );
});

test('no message fits two templates of one length and first word (property)', () => {
  fc.assert(
    fc.property(fc.array(shaped, { maxLength: 40 }), (messages) => {
      const clusters = clusterMessages(messages);
      for (const m of messages) {
        const fitting = clusters.filter((c) => fits(c.template, m) && !c.template.startsWith('<'));
        const keys = fitting.map((c) => c.template.split(' ').length + c.template.split(' ')[0]!);
        assert.equal(new Set(keys).size, keys.length, `${m} fits ${fitting.map((c) => c.template).join(' | ')}`);
      }
    }),
    { numRuns: 300 },
  );
});
