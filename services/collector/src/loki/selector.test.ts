import assert from 'node:assert/strict';
import { test } from 'node:test';
import { parseLabelSelector } from './selector.ts';

test('selectors parse into their labels', () => {
  const cases: Array<[string, Record<string, string>]> = [
    ['{app="api"}', { app: 'api' }],
    ['{app="api", env="prod"}', { app: 'api', env: 'prod' }],
    [' { app = "api" ,env="prod", } ', { app: 'api', env: 'prod' }],
    ['{}', {}],
    ['{level="info",job="shop"}', { level: 'info', job: 'shop' }],
    ['{msg="say \\"hi\\""}', { msg: 'say "hi"' }],
    ['{path="C:\\\\temp"}', { path: 'C:\\temp' }],
    ['{text="two\\nlines\\tand tab"}', { text: 'two\nlines\tand tab' }],
    ['{empty=""}', { empty: '' }],
    ['{_private="1", a1="x,}="}', { _private: '1', a1: 'x,}=' }],
    ['{k="héllo ✓"}', { k: 'héllo ✓' }],
  ];
  for (const [text, labels] of cases) assert.deepEqual(parseLabelSelector(text), { ok: true, labels }, text);
});

test('a label called __proto__ is kept as a plain label', () => {
  const result = parseLabelSelector('{__proto__="x"}');
  assert.ok(result.ok);
  assert.equal(Object.getPrototypeOf(result.labels), Object.prototype);
  assert.deepEqual(Object.entries(result.labels), [['__proto__', 'x']]);
});

test('malformed selectors are refused with a message naming the problem and where', () => {
  const cases: Array<[string, RegExp]> = [
    ['', /expected "\{" at the end/],
    ['app="api"', /expected "\{" at offset 0/],
    ['{app="api"', /expected "," or "\}" at the end/],
    ['{app=api}', /expected a double-quoted value at offset 5/],
    ['{app="api}', /unterminated quoted value/],
    ['{app!="api"}', /expected "=" at offset 4/],
    ['{app=~"a.*"}', /expected a double-quoted value at offset 5/],
    ['{1app="x"}', /expected a label name at offset 1/],
    ['{service.name="x"}', /expected "=" at offset 8/],
    ['{a="1" b="2"}', /expected "," or "\}" at offset 7/],
    ['{a="1", a="2"}', /duplicate label "a"/],
    ['{a="\\x"}', /unknown escape/],
    ['{a="1"} extra', /unexpected text after "\}"/],
  ];
  for (const [text, message] of cases) {
    const result = parseLabelSelector(text);
    assert.equal(result.ok, false, text);
    if (!result.ok) {
      assert.match(result.error, message, text);
      assert.match(result.error, /^malformed label selector "/, text);
    }
  }
});
