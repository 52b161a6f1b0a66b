/** A keyset position: a time (as a decimal integer string) and the record id that breaks ties. */
export interface Cursor {
  ns: string;
  id: string;
}

/** Raised for a cursor the client altered or made up. */
export class InvalidCursorError extends Error {
  constructor() {
    super('cursor is not one this service issued');
    this.name = 'InvalidCursorError';
  }
}

/** Pure: an opaque, URL-safe token for a position. */
export function encodeCursor(cursor: Cursor): string {
  return Buffer.from(JSON.stringify([cursor.ns, cursor.id])).toString('base64url');
}

/** Pure: reads a token from encodeCursor; throws InvalidCursorError for anything else. */
export function decodeCursor(token: string): Cursor {
  try {
    const value: unknown = JSON.parse(Buffer.from(token, 'base64url').toString('utf8'));
    if (
      Array.isArray(value) &&
      value.length === 2 &&
      typeof value[0] === 'string' &&
      /^\d{1,19}$/.test(value[0]) &&
      BigInt(value[0]) <= 9223372036854775807n &&
      typeof value[1] === 'string' &&
      value[1].length <= 64
    ) {
      return { ns: value[0], id: value[1] };
    }
  } catch {
    // fall through: malformed base64 or JSON is the same mistake as a wrong shape
  }
  throw new InvalidCursorError();
}

/** Pure: orders two positions issued by this store (tail positions or cursors); throws InvalidCursorError for others. */
export function comparePositions(a: string, b: string): number {
  const x = decodeCursor(a);
  const y = decodeCursor(b);
  const byTime = BigInt(x.ns) - BigInt(y.ns);
  if (byTime !== 0n) return byTime < 0n ? -1 : 1;
  // ClickHouse compares ids as bytes, which is not JS string order outside ASCII.
  return Buffer.compare(Buffer.from(x.id), Buffer.from(y.id));
}
