import assert from 'node:assert/strict';
import { test } from 'node:test';
import { OtlpDecodeError } from './error.ts';
import { WIRE, WireReader, WireWriter, encodeVarint } from './wire.ts';

const bytes = (...b: number[]) => Uint8Array.from(b);

/** Reads the single field of `message`, checking its number. */
function only(message: Uint8Array, field: number): WireReader {
  const r = new WireReader(message);
  assert.equal(r.next(), field);
  return r;
}

test('varints encode as the protobuf spec shows', () => {
  assert.deepEqual(encodeVarint(1n), bytes(0x01));
  assert.deepEqual(encodeVarint(150n), bytes(0x96, 0x01));
  assert.deepEqual(encodeVarint(300n), bytes(0xac, 0x02));
  assert.deepEqual(encodeVarint(-1n), bytes(0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0x01));
});

test('varints round-trip at every width up to 64 bits', () => {
  for (const n of [0n, 1n, 127n, 128n, 16_383n, 16_384n, 2n ** 32n, 2n ** 53n + 1n, 2n ** 63n, 2n ** 64n - 1n]) {
    assert.equal(only(new WireWriter().varint(3, n).finish(), 3).varint('v'), n);
  }
});

test('int64 and int32 read negative numbers from 10-byte varints', () => {
  assert.equal(only(new WireWriter().varint(1, -5n).finish(), 1).int64('v'), -5n);
  assert.equal(only(new WireWriter().varint(1, -1).finish(), 1).int32('v'), -1);
  assert.equal(only(new WireWriter().varint(1, 2n ** 40n + 7n).finish(), 1).int32('v'), 7);
});

test('fixed64 keeps nanosecond timestamps above 2^53 exact', () => {
  const ns = 1_767_225_600_123_456_789n;
  assert.equal(only(new WireWriter().fixed64(1, ns).finish(), 1).fixed64('t'), ns);
  assert.equal(only(new WireWriter().fixed64(1, 2n ** 64n - 1n).finish(), 1).fixed64('t'), 2n ** 64n - 1n);
});

test('fixed32, double, bool, string and bytes read back what was written', () => {
  const msg = new WireWriter()
    .fixed32(1, 0xdeadbeef)
    .double(2, -0.125)
    .varint(3, true)
    .string(4, 'grüße ✓')
    .bytes(5, bytes(0, 255))
    .finish();
  const r = new WireReader(msg);
  r.next();
  assert.equal(r.fixed32('a'), 0xdeadbeef);
  r.next();
  assert.equal(r.double('b'), -0.125);
  r.next();
  assert.equal(r.bool('c'), true);
  r.next();
  assert.equal(r.string('d'), 'grüße ✓');
  r.next();
  assert.deepEqual([...r.bytes('e')], [0, 255]);
  assert.ok(r.done());
});

test('an embedded message is read within its own bounds', () => {
  const msg = new WireWriter()
    .message(1, (w) => w.varint(1, 7))
    .varint(2, 9)
    .finish();
  const outer = new WireReader(msg);
  assert.equal(outer.next(), 1);
  const inner = outer.message('m');
  assert.equal(inner.next(), 1);
  assert.equal(inner.varint('x'), 7n);
  assert.ok(inner.done());
  assert.equal(outer.next(), 2);
  assert.equal(outer.varint('y'), 9n);
});

test('skip passes over a field of every wire type', () => {
  const msg = new WireWriter()
    .varint(1, 2n ** 60n)
    .fixed64(2, 1n)
    .string(3, 'xyz')
    .fixed32(4, 1)
    .varint(5, 42)
    .finish();
  const r = new WireReader(msg);
  const wireTypes: number[] = [];
  while (r.next() !== 5) {
    wireTypes.push(r.wireType);
    r.skip();
  }
  assert.deepEqual(wireTypes, [WIRE.VARINT, WIRE.I64, WIRE.LEN, WIRE.I32]);
  assert.equal(r.varint('last'), 42n);
});

test('a truncated varint is an OtlpDecodeError with its offset', () => {
  const r = new WireReader(bytes(0x08, 0x96));
  r.next();
  assert.throws(
    () => r.varint('LogRecord.severity_number'),
    (err: unknown) => {
      assert.ok(err instanceof OtlpDecodeError);
      assert.equal(err.statusCode, 400);
      assert.equal(err.field, 'LogRecord.severity_number');
      assert.equal(err.position, 1);
      assert.match(err.message, /truncated varint at offset 1/);
      return true;
    },
  );
});

test('a varint longer than ten bytes is refused', () => {
  const r = new WireReader(bytes(0x08, ...Array(11).fill(0x80), 0x01));
  r.next();
  assert.throws(() => r.varint('v'), /longer than 10 bytes/);
});

test('a length beyond the end of the body is refused', () => {
  const r = new WireReader(bytes(0x0a, 0x05, 0x61, 0x62));
  r.next();
  assert.throws(
    () => r.string('LogRecord.severity_text'),
    /LogRecord.severity_text: truncated, needs 5 bytes at offset 2 but 2 remain/,
  );
});

test('fixed-width fields cut short are refused', () => {
  const r = new WireReader(bytes(0x09, 1, 2, 3));
  r.next();
  assert.throws(() => r.fixed64('LogRecord.time_unix_nano'), /needs 8 bytes/);
});

test('a field read with the wrong wire type names the field and both types', () => {
  const r = new WireReader(new WireWriter().varint(1, 5).finish());
  r.next();
  assert.throws(
    () => r.fixed64('LogRecord.time_unix_nano'),
    (err: unknown) => {
      assert.ok(err instanceof OtlpDecodeError);
      assert.equal(err.field, 'LogRecord.time_unix_nano');
      assert.match(err.message, /expected wire type 1 \(fixed64\), got 0 \(varint\)/);
      return true;
    },
  );
});

test('field number 0 and group wire types are refused', () => {
  assert.throws(() => new WireReader(bytes(0x00)).next(), /invalid field number 0/);
  assert.throws(() => new WireReader(bytes(0x0b)).next(), /unsupported wire type 3 \(group start\)/);
  assert.throws(() => new WireReader(bytes(0x0f)).next(), /unsupported wire type 7/);
});
