import assert from 'node:assert/strict';
import { test } from 'node:test';
import fc from 'fast-check';
import snappy from 'snappy';
import { decodeSnappyBlock, SnappyError } from './snappy.ts';

const LIMIT = 5 * 1024 * 1024;
const compress = (data: Uint8Array) => snappy.compressSync(Buffer.from(data));

test('blocks compressed by the snappy package decode back to their input', () => {
  const vectors = [
    Buffer.alloc(0),
    Buffer.from('a'),
    Buffer.from('hello hello hello hello hello'),
    Buffer.alloc(100_000, 'z'),
    Buffer.from('{"level":"info","msg":"GET /api/orders 200"}\n'.repeat(2_000)),
    Buffer.from(Array.from({ length: 70_000 }, (_, i) => (i * 7919) % 251)),
  ];
  for (const input of vectors) assert.deepEqual(decodeSnappyBlock(compress(input), LIMIT), input);
});

test('random byte strings round-trip through the snappy package and the decoder', () => {
  fc.assert(
    fc.property(fc.uint8Array({ maxLength: 5_000 }), (data) => {
      assert.deepEqual(decodeSnappyBlock(compress(data), LIMIT), Buffer.from(data));
    }),
    { numRuns: 300 },
  );
});

test('repetitive random text, which produces long overlapping copies, round-trips', () => {
  const repetitive = fc
    .tuple(fc.string({ minLength: 1, maxLength: 12 }), fc.integer({ min: 1, max: 3_000 }), fc.string({ maxLength: 50 }))
    .map(([unit, times, tail]) => Buffer.from(unit.repeat(times) + tail));
  fc.assert(
    fc.property(repetitive, (data) => assert.deepEqual(decodeSnappyBlock(compress(data), LIMIT), data)),
    { numRuns: 200 },
  );
});

test('a declared length over the limit is refused before anything is allocated', () => {
  // Varint of 0xffffffff, then nothing: a request claiming 4 GiB.
  const hostile = Uint8Array.from([0xff, 0xff, 0xff, 0xff, 0x0f]);
  assert.throws(
    () => decodeSnappyBlock(hostile, LIMIT),
    (err: unknown) => err instanceof SnappyError && err.tooLarge && /exceeds the limit/.test(err.message),
  );
});

test('corrupt blocks fail with a SnappyError that says what is wrong', () => {
  const cases: Array<[string, number[], RegExp]> = [
    ['empty input', [], /truncated uncompressed length/],
    ['endless length varint', [0x80, 0x80, 0x80, 0x80, 0x80, 0x01], /longer than 5 bytes/],
    ['literal longer than the input', [0x05, 0x10, 0x61], /needs 5 bytes/],
    ['literal past the declared length', [0x01, 0x04, 0x61, 0x62], /overruns the declared length/],
    ['copy before any output', [0x04, 0x01, 0x01], /points 1 bytes back but only 0/],
    ['copy with offset zero', [0x08, 0x00, 0x61, 0x01, 0x00], /points 0 bytes back/],
    ['copy past the declared length', [0x03, 0x00, 0x61, 0x0d, 0x01], /overruns the declared length/],
    ['truncated copy offset', [0x08, 0x00, 0x61, 0x0e, 0x01], /truncated copy offset/],
    ['output shorter than declared', [0x05, 0x00, 0x61], /decodes to 1 bytes but declares 5/],
  ];
  for (const [name, bytes, message] of cases) {
    assert.throws(
      () => decodeSnappyBlock(Uint8Array.from(bytes), LIMIT),
      (err: unknown) => err instanceof SnappyError && message.test(err.message),
      name,
    );
  }
});

test('random garbage and mangled blocks only ever fail with a SnappyError', () => {
  const valid = compress(Buffer.from('the quick brown fox jumps over the lazy dog '.repeat(40)));
  const mangled = fc.tuple(fc.nat({ max: valid.length - 1 }), fc.integer({ min: 0, max: 255 })).map(([at, value]) => {
    const copy = Buffer.from(valid);
    copy[at] = value;
    return copy;
  });
  fc.assert(
    fc.property(fc.oneof(fc.uint8Array({ maxLength: 200 }), mangled), (bytes) => {
      try {
        const out = decodeSnappyBlock(bytes, 64 * 1024);
        assert.ok(out.length <= 64 * 1024);
      } catch (err) {
        assert.ok(err instanceof SnappyError, `unexpected ${String(err)}`);
      }
    }),
    { numRuns: 2_000 },
  );
});
