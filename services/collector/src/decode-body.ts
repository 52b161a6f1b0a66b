import { promisify } from 'node:util';
import zlib from 'node:zlib';
import { LIMITS } from '@instant-logs/schema';
import { KIT_ERRORS, type CodedError } from '@instant-logs/service-kit';
import { COLLECTOR_ERRORS } from './errors.ts';

const gunzip = promisify(zlib.gunzip);
const inflate = promisify(zlib.inflate);
const zstdDecompress = promisify(zlib.zstdDecompress);

/** Pure apart from zlib: undoes Content-Encoding, refusing output beyond the request limit (413). */
export async function decompress(body: Buffer, encoding: string | undefined): Promise<Buffer> {
  const enc = (encoding ?? 'identity').trim().toLowerCase();
  const opts = { maxOutputLength: LIMITS.maxRequestBytes };
  try {
    if (enc === 'identity' || enc === '') return checkSize(body);
    if (enc === 'gzip' || enc === 'x-gzip') return await gunzip(body, opts);
    if (enc === 'zstd') return await zstdDecompress(body, opts);
    if (enc === 'deflate') return await inflate(body, opts);
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ERR_BUFFER_TOO_LARGE' || err instanceof RangeError) throw tooLarge();
    throw COLLECTOR_ERRORS.BAD_ENCODING({ encoding: enc, reason: (err as Error).message, field: 'Content-Encoding' });
  }
  throw COLLECTOR_ERRORS.UNSUPPORTED_ENCODING({ encoding: enc, field: 'Content-Encoding' });
}

function checkSize(body: Buffer): Buffer {
  if (body.length > LIMITS.maxRequestBytes) throw tooLarge();
  return body;
}

function tooLarge(): CodedError {
  return KIT_ERRORS.PAYLOAD_TOO_LARGE({ what: 'request body uncompressed', limit: LIMITS.maxRequestBytes });
}

/** A record as decoded, or the reason its line could not be decoded. */
export type DecodedItem = { record: unknown } | { error: { field: string; message: string } };

// Body text comes from Buffer#toString('utf8'), which turns invalid UTF-8 into U+FFFD: such a
// record is stored with the replacement characters rather than refused (see hardening.test.ts).
// A byte-order mark some Windows tools write would otherwise make the first record invalid JSON.
const withoutBom = (text: string) => (text.charCodeAt(0) === 0xfeff ? text.slice(1) : text);

const MAX_UNMEASURED_CHARS = Math.floor(LIMITS.maxRecordBytes / 3);

/** Pure: splits NDJSON into records; a bad line becomes that record's error and the rest still count. */
export function decodeNdjson(text: string): DecodedItem[] {
  const items: DecodedItem[] = [];
  // Only "\n" ends a record: JSON strings cannot hold a raw newline, while "\r", NUL and U+2028 stay inside their line.
  for (const line of withoutBom(text).split('\n')) {
    const trimmed = line.trim();
    if (trimmed === '') continue;
    // A UTF-16 unit is at most 3 bytes of UTF-8, so only long lines need measuring.
    if (trimmed.length > MAX_UNMEASURED_CHARS && Buffer.byteLength(trimmed) > LIMITS.maxRecordBytes) {
      items.push({ error: { field: '(record)', message: `record exceeds ${LIMITS.maxRecordBytes} bytes` } });
      continue;
    }
    try {
      items.push({ record: JSON.parse(trimmed) });
    } catch (err) {
      items.push({ error: { field: '(record)', message: `invalid JSON: ${(err as Error).message}` } });
    }
  }
  return items;
}

/** Pure: a JSON object (one record) or array (many); invalid JSON fails the whole request (400). */
export function decodeJson(text: string): DecodedItem[] {
  let value: unknown;
  try {
    value = JSON.parse(withoutBom(text));
  } catch (err) {
    throw KIT_ERRORS.INVALID_JSON({
      reason: `${(err as Error).message}; send one record per line as application/x-ndjson`,
    });
  }
  const records = Array.isArray(value) ? value : [value];
  // Only a body over the per-record limit can hold a record over it, so small bodies skip the measuring.
  const measure = Buffer.byteLength(text) > LIMITS.maxRecordBytes;
  return records.map((record) => {
    const problem = measure ? sizeProblem(record) : undefined;
    return problem ? { error: { field: '(record)', message: problem } } : { record };
  });
}

function sizeProblem(record: unknown): string | undefined {
  try {
    return Buffer.byteLength(JSON.stringify(record) ?? '') > LIMITS.maxRecordBytes
      ? `record exceeds ${LIMITS.maxRecordBytes} bytes`
      : undefined;
  } catch {
    // JSON.stringify recurses, so a record nested deeper than the stack cannot even be measured.
    return `record nests deeper than ${LIMITS.maxDepth} levels`;
  }
}

/** Undoes Content-Encoding and splits the body into records (NDJSON or JSON); a body with none is refused (400). */
export async function decodeBody(
  body: Uint8Array,
  contentEncoding: string | undefined,
  ndjson: boolean,
): Promise<DecodedItem[]> {
  const text = (await decompress(Buffer.from(body.buffer, body.byteOffset, body.byteLength), contentEncoding)).toString(
    'utf8',
  );
  const items = ndjson ? decodeNdjson(text) : decodeJson(text);
  if (items.length === 0) throw COLLECTOR_ERRORS.EMPTY({ reason: 'the request holds no records' });
  return items;
}
