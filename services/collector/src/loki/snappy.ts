// Snappy block format (not the framing format): https://github.com/google/snappy/blob/main/format_description.txt
// Every read is bounds-checked and every element consumes input, so hostile bytes end in an error, never a hang.

/** Why a snappy block could not be decoded; `tooLarge` marks a declared length over the caller's limit. */
export class SnappyError extends Error {
  readonly tooLarge: boolean;
  constructor(message: string, tooLarge = false) {
    super(message);
    this.name = 'SnappyError';
    this.tooLarge = tooLarge;
  }
}

const LITERAL = 0;
const COPY_1 = 1;
const COPY_2 = 2;

/** Pure: decompresses one snappy block, refusing a declared length over `maxLength` before allocating. */
export function decodeSnappyBlock(input: Uint8Array, maxLength: number): Buffer {
  let pos = 0;
  const byte = (what: string): number => {
    if (pos >= input.length) throw new SnappyError(`truncated ${what} at offset ${pos}`);
    return input[pos++]!;
  };
  // Little-endian integer of `n` bytes; multiplication keeps a 4-byte value from turning negative.
  const uintLE = (n: number, what: string): number => {
    let value = 0;
    for (let i = 0, scale = 1; i < n; i++, scale *= 256) value += byte(what) * scale;
    return value;
  };

  // The preamble is a varint of at most 32 bits, so five bytes at most.
  let length = 0;
  for (let shift = 0, scale = 1; ; shift += 7, scale *= 128) {
    if (shift > 28) throw new SnappyError('uncompressed length varint is longer than 5 bytes');
    const b = byte('uncompressed length');
    length += (b & 0x7f) * scale;
    if (b < 0x80) break;
  }
  if (length > 0xffffffff) throw new SnappyError('uncompressed length does not fit 32 bits');
  if (length > maxLength)
    throw new SnappyError(`uncompressed length ${length} exceeds the limit of ${maxLength} bytes`, true);

  const out = Buffer.alloc(length);
  let written = 0;
  while (pos < input.length) {
    const tagAt = pos;
    const tag = byte('tag');
    const kind = tag & 3;
    if (kind === LITERAL) {
      const small = tag >> 2;
      const size = (small < 60 ? small : uintLE(small - 59, 'literal length')) + 1;
      if (size > input.length - pos)
        throw new SnappyError(`literal at offset ${tagAt} needs ${size} bytes but ${input.length - pos} remain`);
      if (size > length - written)
        throw new SnappyError(`literal at offset ${tagAt} overruns the declared length ${length}`);
      out.set(input.subarray(pos, pos + size), written);
      pos += size;
      written += size;
      continue;
    }
    let size: number;
    let offset: number;
    if (kind === COPY_1) {
      size = 4 + ((tag >> 2) & 7);
      offset = ((tag >> 5) << 8) | byte('copy offset');
    } else {
      size = 1 + (tag >> 2);
      offset = uintLE(kind === COPY_2 ? 2 : 4, 'copy offset');
    }
    if (offset === 0 || offset > written)
      throw new SnappyError(`copy at offset ${tagAt} points ${offset} bytes back but only ${written} are decoded`);
    if (size > length - written)
      throw new SnappyError(`copy at offset ${tagAt} overruns the declared length ${length}`);
    copyBack(out, written, offset, size);
    written += size;
  }
  if (written !== length) throw new SnappyError(`block decodes to ${written} bytes but declares ${length}`);
  return out;
}

// A copy may overlap its own output (offset < size), which repeats the last `offset` bytes: copy in
// rounds of at most `offset` bytes so every round reads only bytes already written.
function copyBack(out: Buffer, at: number, offset: number, size: number): void {
  let done = 0;
  while (done < size) {
    const n = Math.min(offset, size - done);
    out.copyWithin(at + done, at + done - offset, at + done - offset + n);
    done += n;
  }
}
