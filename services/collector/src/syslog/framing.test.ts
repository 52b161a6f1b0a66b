import { test } from 'node:test';
import assert from 'node:assert/strict';
import { createFrameSplitter, type FramingProblem } from './framing.ts';

/** Feeds `chunks` through a splitter and returns the frames as text and the problems reported. */
function split(chunks: Array<string | Buffer>, maxFrameBytes = 64) {
  const frames: string[] = [];
  const problems: FramingProblem[] = [];
  const splitter = createFrameSplitter({
    maxFrameBytes,
    onFrame: (f) => frames.push(f.toString('utf8')),
    onProblem: (p) => problems.push(p),
  });
  for (const chunk of chunks) splitter.push(Buffer.isBuffer(chunk) ? chunk : Buffer.from(chunk));
  splitter.end();
  return { frames, problems };
}

test('newline framing splits lines and drops CR before LF', () => {
  assert.deepEqual(split(['a\nbb\r\nccc\n']), { frames: ['a', 'bb', 'ccc'], problems: [] });
});

test('NUL is a delimiter too, and empty lines are skipped', () => {
  assert.deepEqual(split(['<13>a\0<13>b\n\n\0<13>c']).frames, ['<13>a', '<13>b', '<13>c']);
});

test('a leading digit selects octet counting, where newlines inside a frame are data', () => {
  assert.deepEqual(split(['4 a\nb\n3 xyz']), { frames: ['a\nb\n', 'xyz'], problems: [] });
});

test('frames split across chunks at every byte are reassembled in both framings', () => {
  const inputs: Array<[string, string[]]> = [
    ['11 <13>1 hello9 <13>1 bye', ['<13>1 hello', '<13>1 bye']],
    ['<13>hello\n<13>bye\n', ['<13>hello', '<13>bye']],
  ];
  for (const [text, expected] of inputs) {
    const bytes = [...Buffer.from(text)].map((b) => Buffer.from([b]));
    assert.deepEqual(split(bytes).frames, expected, text);
  }
});

test('a multi-byte character split between chunks arrives whole', () => {
  const bytes = Buffer.from('7 grüße\n');
  assert.deepEqual(split([bytes.subarray(0, 5), bytes.subarray(5)]).frames, ['grüße']);
});

test('octet-counted frames may be followed by a newline', () => {
  assert.deepEqual(split(['3 abc\n3 def\r\n']).frames, ['abc', 'def']);
});

test('an oversize delimited line is truncated to the limit and counted once', () => {
  const long = 'x'.repeat(100);
  assert.deepEqual(split([long.slice(0, 30), long.slice(30), '\nok\n'], 64), {
    frames: ['x'.repeat(64), 'ok'],
    problems: ['oversize'],
  });
});

test('an oversize octet-counted frame is truncated, its rest skipped, and the next frame read', () => {
  const { frames, problems } = split([`100 ${'y'.repeat(50)}`, 'y'.repeat(50), '2 ok'], 64);
  assert.deepEqual(frames, ['y'.repeat(64), 'ok']);
  assert.deepEqual(problems, ['oversize']);
});

test('a bad octet count switches the connection to newline framing without losing data', () => {
  const { frames, problems } = split(['4 abcd12x rest\nnext\n']);
  assert.deepEqual(frames, ['abcd', '12x rest', 'next']);
  assert.deepEqual(problems, ['bad_length']);
});

test('garbage bytes in newline framing become frames, never a failure', () => {
  const garbage = Buffer.from([0xff, 0xfe, 0x0a, 0x80, 0x81, 0x0a]);
  assert.equal(split([garbage]).frames.length, 2);
});

test('a partial last message is delivered when the connection ends', () => {
  assert.deepEqual(split(['a\nunterminated']).frames, ['a', 'unterminated']);
  assert.deepEqual(split(['10 short']).frames, ['short']);
});
