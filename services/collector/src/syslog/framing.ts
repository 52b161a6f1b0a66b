/** Why part of a stream could not be taken as it was sent. */
export type FramingProblem = 'oversize' | 'bad_length';

export interface FrameSplitterOptions {
  /** Longest frame kept; longer ones are truncated to this many bytes, never buffered whole. */
  maxFrameBytes: number;
  onFrame: (frame: Buffer) => void;
  onProblem: (problem: FramingProblem) => void;
}

/** Splits one TCP connection's byte stream into syslog messages. */
export interface FrameSplitter {
  push(chunk: Buffer): void;
  /** The connection ended: a partial last message is still delivered. */
  end(): void;
}

const LF = 0x0a;
const CR = 0x0d;
const NUL = 0x00;
const SP = 0x20;
// 10 digits already exceed any sane frame; more means the stream is not octet-counted after all.
const MAX_LENGTH_DIGITS = 10;

/**
 * Pure: a streaming splitter for RFC 6587 framing. The first byte of the connection picks the
 * method: a digit means octet counting ("<len> <msg>"), anything else LF- or NUL-delimited lines.
 * A malformed length header switches the connection to delimited framing so its data still arrives.
 */
export function createFrameSplitter(options: FrameSplitterOptions): FrameSplitter {
  const { maxFrameBytes, onFrame, onProblem } = options;
  let mode: 'detect' | 'octet' | 'delimited' = 'detect';
  // The frame being collected, at most maxFrameBytes of it.
  let parts: Buffer[] = [];
  let kept = 0;
  let truncated = false;
  // Octet counting: the length read so far, and how many bytes of the frame are still to come.
  let lengthText = '';
  let remaining = -1;

  const keep = (bytes: Buffer) => {
    const room = maxFrameBytes - kept;
    if (bytes.length > room) truncated = true;
    const slice = bytes.length > room ? bytes.subarray(0, room) : bytes;
    if (slice.length > 0) {
      parts.push(slice);
      kept += slice.length;
    }
  };
  const emit = () => {
    let frame = parts.length === 1 ? parts[0]! : Buffer.concat(parts, kept);
    if (mode === 'delimited' && frame.length > 0 && frame[frame.length - 1] === CR) frame = frame.subarray(0, -1);
    if (truncated) onProblem('oversize');
    parts = [];
    kept = 0;
    truncated = false;
    if (frame.length > 0) onFrame(frame);
  };

  const pushDelimited = (chunk: Buffer, from: number) => {
    let pos = from;
    // Each delimiter's next position is searched once per chunk, not once per line.
    let nextLf = chunk.indexOf(LF, pos);
    let nextNul = chunk.indexOf(NUL, pos);
    while (pos < chunk.length) {
      if (nextLf !== -1 && nextLf < pos) nextLf = chunk.indexOf(LF, pos);
      if (nextNul !== -1 && nextNul < pos) nextNul = chunk.indexOf(NUL, pos);
      const end = nextLf === -1 ? nextNul : nextNul === -1 ? nextLf : Math.min(nextLf, nextNul);
      if (end === -1) {
        keep(chunk.subarray(pos));
        return;
      }
      keep(chunk.subarray(pos, end));
      emit();
      pos = end + 1;
    }
  };

  const pushOctet = (chunk: Buffer, from: number) => {
    let pos = from;
    while (pos < chunk.length) {
      if (remaining >= 0) {
        const take = Math.min(remaining, chunk.length - pos);
        keep(chunk.subarray(pos, pos + take));
        remaining -= take;
        pos += take;
        if (remaining === 0) {
          emit();
          remaining = -1;
        }
        continue;
      }
      const byte = chunk[pos]!;
      if (byte >= 0x30 && byte <= 0x39 && lengthText.length < MAX_LENGTH_DIGITS) {
        lengthText += String.fromCharCode(byte);
        pos++;
      } else if (byte === SP && lengthText !== '') {
        remaining = Number(lengthText);
        lengthText = '';
        pos++;
        if (remaining === 0) remaining = -1;
      } else if (lengthText === '' && (byte === LF || byte === CR || byte === NUL)) {
        // Some senders end octet-counted frames with a newline anyway.
        pos++;
      } else {
        onProblem('bad_length');
        mode = 'delimited';
        const header = Buffer.from(lengthText, 'latin1');
        lengthText = '';
        if (header.length > 0) keep(header);
        pushDelimited(chunk, pos);
        return;
      }
    }
  };

  return {
    push(chunk) {
      if (chunk.length === 0) return;
      if (mode === 'detect') mode = chunk[0]! >= 0x31 && chunk[0]! <= 0x39 ? 'octet' : 'delimited';
      if (mode === 'octet') pushOctet(chunk, 0);
      else pushDelimited(chunk, 0);
    },
    end() {
      if (kept > 0 || truncated) emit();
      else if (mode === 'octet' && lengthText !== '') {
        // A bare number at the end of the stream is data, not a header.
        keep(Buffer.from(lengthText, 'latin1'));
        lengthText = '';
        emit();
      }
      remaining = -1;
    },
  };
}
