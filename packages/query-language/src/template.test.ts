import { test } from 'node:test';
import assert from 'node:assert/strict';
import fc from 'fast-check';
import { maskMessage, templateOf, templateRegex, templateWords } from './template.ts';

const fits = (template: string, message: string) => new RegExp(templateRegex(template), 'u').test(message);

// Pieces of real log lines and their variable parts, glued at random with random text between.
export const logFragment = fc.oneof(
  fc.constantFrom('GET', 'POST', '/api/items/', 'user', 'took', 'in', 'ms', 'error:', 'id=', 'at', 'é', '=', ',', '"'),
  fc.integer({ min: -100000, max: 100000 }).map(String),
  fc.uuid(),
  fc.ipV4(),
  fc.emailAddress(),
  fc.stringMatching(/^[0-9a-f]{16,32}$/),
  fc.stringMatching(/^[0-9]{1,4}(ms|s|µs)$/),
  fc.stringMatching(/^[a-z]{1,4}[0-9]{1,4}[a-z]{0,2}$/),
  fc.string({ maxLength: 8 }).map((s) => `"${s.replaceAll('"', '')}"`),
  fc.constantFrom('<NUM>', '<*>', '<ID>x', '\t', '  ', '\n'),
  fc.string({ unit: 'binary', maxLength: 4 }),
);
export const logMessage = fc
  .array(fc.tuple(logFragment, fc.constantFrom(' ', '', '=', ' ')), { maxLength: 12 })
  .map((parts) => parts.map(([f, sep]) => f + sep).join(''));

// Whole words of a message as the store's splitByNonAlpha tokenizer sees them, ASCII case folded.
const storeWords = (message: string) =>
  // eslint-disable-next-line no-control-regex -- the tokenizer splits on ASCII control characters too
  new Set(message.replace(/[A-Z]+/g, (c) => c.toLowerCase()).split(/[\x00-\x2f\x3a-\x40\x5b-\x60\x7b-\x7f]+/));

test('variable parts become their placeholders', () => {
  const cases: [string, string][] = [
    ['GET /api/items/42 200 in 17 ms', 'GET /api/items/<NUM> <NUM> in <NUM> ms'],
    ['login alice@example.com from 10.0.0.1:8080 after 12ms', 'login <EMAIL> from <IP>:<NUM> after <DURATION>'],
    ['req 550e8400-e29b-41d4-a716-446655440000 done', 'req <UUID> done'],
    ['trace a1b2c3d4e5f60718293a4b5c6d7e8f90 at 0xdeadBEEF', 'trace <HEX> at <HEX>'],
    ['user=u42 sku-7 order A-1001 delta -5', 'user=<ID> sku-<NUM> order A-<NUM> delta <NUM>'],
    ['msg="card declined twice" code=\'E7\'', 'msg=<QUOTED> code=<QUOTED>'],
    ['version 1.2.3', 'version <NUM>.<NUM>'],
    ['literal <NUM> and <UUID>', 'literal <*> and <*>'],
  ];
  for (const [message, template] of cases) assert.equal(templateOf(message), template, message);
});

test('a message without variable parts is its own template, whitespace folded', () => {
  assert.equal(templateOf('  payment   captured\t'), 'payment captured');
  assert.equal(maskMessage("it's done"), "it's done");
});

test('a template matches its messages and not others with the same words', () => {
  const t = templateOf('GET /api/items/42 200 in 17 ms');
  assert.ok(fits(t, 'GET /api/items/7 404 in 3 ms'));
  assert.ok(!fits(t, 'GET /api/items/seven 404 in 3 ms'));
  assert.ok(!fits(t, 'GET /api/items/7 404 in 3 ms extra'));
  assert.ok(!fits(t, 'get /api/items/7 404 in 3 ms'));
  assert.ok(fits('pay <*> now', 'pay "a b" now'));
});

test('the words of a template are the whole words of its constant text', () => {
  assert.deepEqual(templateWords('GET /api/items/<NUM> in <DURATION>'), ['get', 'api', 'items', 'in']);
  // Next to a placeholder a run may be part of a longer word of the message.
  assert.deepEqual(templateWords('user<*> x<NUM>y ok'), ['ok']);
  assert.deepEqual(templateWords('crème brûlée'), []);
});

test('every message matches its own template (property)', () => {
  fc.assert(
    fc.property(logMessage, (message) => fits(templateOf(message), message)),
    { numRuns: 2000 },
  );
});

test('a template never holds a raw number, uuid, ip or address (property)', () => {
  fc.assert(
    fc.property(logMessage, (message) => {
      const constant = templateOf(message).replace(/<(UUID|EMAIL|IP|HEX|DURATION|NUM|ID|QUOTED|\*)>/g, '');
      assert.doesNotMatch(constant, /[0-9]/, message);
    }),
    { numRuns: 2000 },
  );
});

test("a template's words are whole words of every message it matches (property)", () => {
  fc.assert(
    fc.property(logMessage, (message) => {
      const words = storeWords(message);
      for (const w of templateWords(templateOf(message))) assert.ok(words.has(w), `${w} in ${JSON.stringify(message)}`);
    }),
    { numRuns: 2000 },
  );
});
