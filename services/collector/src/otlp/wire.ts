import { OtlpDecodeError } from './error.ts';

// Protobuf wire format: https://protobuf.dev/programming-guides/encoding/
/** The four wire types proto3 uses; groups (3, 4) never occur in OTLP and are refused. */
export const WIRE = Object.freeze({ VARINT: 0, I64: 1, LEN: 2, I32: 5 });
const WIRE_NAMES = [
  'varint',
  'fixed64',
  'length-delimited',
  'group start',
  'group end',
  'fixed32',
  'reserved',
  'reserved',
];
const MAX_FIELD = 2 ** 29 - 1;

/**
 * Pure: reads one protobuf message field by field. `next()` returns the field number and remembers its wire
 * type; each typed read checks that wire type and names the schema field when it does not match.
 * Positions in errors are byte offsets into the outermost body.
 */
export class WireReader {
  readonly #buf: Buffer;
  readonly #end: number;
  #pos: number;
  #wireType = -1;
  #fieldAt = 0;

  constructor(bytes: Uint8Array, start = 0, end = bytes.length) {
    this.#buf = Buffer.isBuffer(bytes) ? bytes : Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength);
    this.#pos = start;
    this.#end = end;
  }

  /** Byte offset of the next unread byte. */
  get position(): number {
    return this.#pos;
  }

  /** Wire type of the field `next()` returned last. */
  get wireType(): number {
    return this.#wireType;
  }

  /** True when every byte of this message has been read. */
  done(): boolean {
    return this.#pos >= this.#end;
  }

  /** Reads the next field key and returns its field number. */
  next(): number {
    const at = this.#pos;
    const key = this.#uint('field key');
    const field = Math.floor(key / 8);
    const wireType = key % 8;
    if (field === 0 || field > MAX_FIELD) throw this.#error(`invalid field number ${field}`, 'field key', at);
    if (wireType !== WIRE.VARINT && wireType !== WIRE.I64 && wireType !== WIRE.LEN && wireType !== WIRE.I32) {
      throw this.#error(
        `field ${field} has unsupported wire type ${wireType} (${WIRE_NAMES[wireType]})`,
        'field key',
        at,
      );
    }
    this.#wireType = wireType;
    this.#fieldAt = at;
    return field;
  }

  /** Reads the current field as an unsigned 64-bit varint. */
  varint(name: string): bigint {
    this.#expect(WIRE.VARINT, name);
    return this.#varint64(name);
  }

  /** Reads the current field as int64 (two's complement varint). */
  int64(name: string): bigint {
    return BigInt.asIntN(64, this.varint(name));
  }

  /** Reads the current field as int32 or an enum; protobuf truncates wider varints to 32 bits. */
  int32(name: string): number {
    return Number(BigInt.asIntN(32, this.varint(name)));
  }

  /** Reads the current field as bool. */
  bool(name: string): boolean {
    return this.varint(name) !== 0n;
  }

  /** Reads the current field as fixed64, without losing precision. */
  fixed64(name: string): bigint {
    this.#expect(WIRE.I64, name);
    this.#need(8, name);
    const value = this.#buf.readBigUInt64LE(this.#pos);
    this.#pos += 8;
    return value;
  }

  /** Reads the current field as fixed32. */
  fixed32(name: string): number {
    this.#expect(WIRE.I32, name);
    this.#need(4, name);
    const value = this.#buf.readUInt32LE(this.#pos);
    this.#pos += 4;
    return value;
  }

  /** Reads the current field as a double. */
  double(name: string): number {
    this.#expect(WIRE.I64, name);
    this.#need(8, name);
    const value = this.#buf.readDoubleLE(this.#pos);
    this.#pos += 8;
    return value;
  }

  /** Reads the current field as bytes; the result is a view into the body, not a copy. */
  bytes(name: string): Buffer {
    const [start, end] = this.#span(name);
    return this.#buf.subarray(start, end);
  }

  /** Reads the current field as a UTF-8 string. */
  string(name: string): string {
    const [start, end] = this.#span(name);
    // Invalid UTF-8 becomes U+FFFD rather than failing the request: one odd byte should not cost a batch.
    return this.#buf.toString('utf8', start, end);
  }

  /** Reads the current field as an embedded message, returning a reader over just its bytes. */
  message(name: string): WireReader {
    const [start, end] = this.#span(name);
    return new WireReader(this.#buf, start, end);
  }

  /** Skips the current field, whatever its wire type: unknown fields are ignored, as protobuf requires. */
  skip(): void {
    const name = 'unknown field';
    if (this.#wireType === WIRE.VARINT) this.#varint64(name);
    else if (this.#wireType === WIRE.I64) this.#advance(8, name);
    else if (this.#wireType === WIRE.I32) this.#advance(4, name);
    else this.#span(name);
  }

  #expect(wireType: number, name: string): void {
    if (this.#wireType === wireType) return;
    const got = this.#wireType;
    throw this.#error(
      `${name}: expected wire type ${wireType} (${WIRE_NAMES[wireType]}), got ${got} (${WIRE_NAMES[got] ?? 'none'})`,
      name,
      this.#fieldAt,
    );
  }

  #need(n: number, name: string): void {
    const left = this.#end - this.#pos;
    if (n > left)
      throw this.#error(
        `${name}: truncated, needs ${n} bytes at offset ${this.#pos} but ${left} remain`,
        name,
        this.#pos,
      );
  }

  #advance(n: number, name: string): void {
    this.#need(n, name);
    this.#pos += n;
  }

  // A length prefix and the [start, end) it covers.
  #span(name: string): [number, number] {
    this.#expect(WIRE.LEN, name);
    const length = this.#uint(name);
    this.#need(length, name);
    const start = this.#pos;
    this.#pos += length;
    return [start, this.#pos];
  }

  // Varints that must fit a JS number: keys and lengths. Multiplying instead of shifting keeps bits above 31.
  #uint(name: string): number {
    const at = this.#pos;
    let value = 0;
    let scale = 1;
    for (let i = 0; i < 10; i++) {
      if (this.#pos >= this.#end) throw this.#error(`${name}: truncated varint at offset ${at}`, name, at);
      const byte = this.#buf[this.#pos++]!;
      value += (byte & 0x7f) * scale;
      if (byte < 0x80) {
        if (value > Number.MAX_SAFE_INTEGER)
          throw this.#error(`${name}: varint at offset ${at} is too large`, name, at);
        return value;
      }
      scale *= 128;
    }
    throw this.#error(`${name}: varint at offset ${at} is longer than 10 bytes`, name, at);
  }

  #varint64(name: string): bigint {
    const at = this.#pos;
    let value = 0n;
    for (let i = 0n; i < 10n; i++) {
      if (this.#pos >= this.#end) throw this.#error(`${name}: truncated varint at offset ${at}`, name, at);
      const byte = this.#buf[this.#pos++]!;
      value |= BigInt(byte & 0x7f) << (7n * i);
      if (byte < 0x80) return BigInt.asUintN(64, value);
    }
    throw this.#error(`${name}: varint at offset ${at} is longer than 10 bytes`, name, at);
  }

  #error(message: string, field: string, position: number): OtlpDecodeError {
    return new OtlpDecodeError(`invalid protobuf: ${message}`, { field, position });
  }
}

/** Builds one protobuf message: enough for the OTLP response and for hand-built test payloads. */
export class WireWriter {
  readonly #chunks: Uint8Array[] = [];

  /** Appends a varint field; negative numbers are written as 64-bit two's complement, like int64. */
  varint(field: number, value: number | bigint | boolean): this {
    const n = typeof value === 'boolean' ? (value ? 1n : 0n) : BigInt(value);
    return this.#key(field, WIRE.VARINT).raw(encodeVarint(n));
  }

  /** Appends a fixed64 field. */
  fixed64(field: number, value: bigint): this {
    const b = Buffer.alloc(8);
    b.writeBigUInt64LE(BigInt.asUintN(64, value));
    return this.#key(field, WIRE.I64).raw(b);
  }

  /** Appends a fixed32 field. */
  fixed32(field: number, value: number): this {
    const b = Buffer.alloc(4);
    b.writeUInt32LE(value >>> 0);
    return this.#key(field, WIRE.I32).raw(b);
  }

  /** Appends a double field. */
  double(field: number, value: number): this {
    const b = Buffer.alloc(8);
    b.writeDoubleLE(value);
    return this.#key(field, WIRE.I64).raw(b);
  }

  /** Appends a length-delimited bytes field. */
  bytes(field: number, value: Uint8Array): this {
    return this.#key(field, WIRE.LEN)
      .raw(encodeVarint(BigInt(value.length)))
      .raw(value);
  }

  /** Appends a UTF-8 string field. */
  string(field: number, value: string): this {
    return this.bytes(field, Buffer.from(value, 'utf8'));
  }

  /** Appends an embedded message built by `build`. */
  message(field: number, build: (w: WireWriter) => void): this {
    const inner = new WireWriter();
    build(inner);
    return this.bytes(field, inner.finish());
  }

  /** Appends bytes as they are, e.g. a hand-made key or a deliberately broken field. */
  raw(bytes: Uint8Array): this {
    this.#chunks.push(bytes);
    return this;
  }

  /** The message written so far. */
  finish(): Buffer {
    return Buffer.concat(this.#chunks);
  }

  #key(field: number, wireType: number): this {
    return this.raw(encodeVarint(BigInt(field) * 8n + BigInt(wireType)));
  }
}

/** Pure: the varint bytes of an integer, negatives as 64-bit two's complement. */
export function encodeVarint(value: bigint): Uint8Array {
  let v = BigInt.asUintN(64, value);
  const out: number[] = [];
  while (v >= 0x80n) {
    out.push(Number(v & 0x7fn) | 0x80);
    v >>= 7n;
  }
  out.push(Number(v));
  return Uint8Array.from(out);
}
