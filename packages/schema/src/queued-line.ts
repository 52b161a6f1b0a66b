import type { LogRecord } from './log-record.ts';

/**
 * The store's columns in the order a queued line lists them. Positional rows cost ClickHouse
 * 6.0 µs a record to insert where objects named by key cost 7.1, and the line is 27% shorter in the
 * local log and on Kafka (bench/results/insert-format.md).
 */
export const QUEUED_COLUMNS = [
  'id',
  'tenant',
  'timestamp',
  'observed_timestamp',
  'service',
  'level',
  'severity_text',
  'severity_number',
  'body',
  'attributes',
  'resource',
  'trace_id',
  'span_id',
  'retention_days',
] as const satisfies readonly (keyof LogRecord | 'retention_days')[];

const SERVICE_INDEX = QUEUED_COLUMNS.indexOf('service');

/** A queued line read back: the record, and the tenant's retention when the line carries one. */
export type QueuedRecord = LogRecord & { retention_days?: number };

/**
 * Pure: the line a stored record travels as from the collector through the queue to the store: one
 * JSON array of QUEUED_COLUMNS (a JSONCompactEachRow row), its last member the tenant's retention in
 * whole days, or null for the store's default.
 */
export function queuedLine(record: LogRecord, retentionDays?: number): string {
  return JSON.stringify([
    record.id,
    record.tenant,
    record.timestamp,
    record.observed_timestamp,
    record.service,
    record.level,
    record.severity_text,
    record.severity_number,
    record.body,
    record.attributes,
    record.resource,
    record.trace_id,
    record.span_id,
    retentionDays ?? null,
  ]);
}

/**
 * Pure: a queued line as a record, from either form: today's array, or the object earlier versions
 * queued (still met in a local log or on a topic written before an upgrade). Throws on a line that
 * is neither.
 */
export function parseQueuedLine(line: string): QueuedRecord {
  const value: unknown = JSON.parse(line);
  if (!Array.isArray(value)) {
    if (value === null || typeof value !== 'object') throw new SyntaxError('A queued line is a JSON array or object');
    return value as QueuedRecord;
  }
  const record: Record<string, unknown> = {};
  QUEUED_COLUMNS.forEach((column, i) => {
    if (value[i] !== null && value[i] !== undefined) record[column] = value[i];
  });
  return record as QueuedRecord;
}

/** Pure: a record as an array line, from a line in either form (see parseQueuedLine). */
function asArrayLine(line: string): string {
  const { retention_days: retention, ...record } = parseQueuedLine(line);
  return queuedLine(record, retention);
}

/**
 * Pure: queued lines (newline-separated) as array lines only, so one JSONCompactEachRow insert takes
 * them. Lines in the object form are rewritten; without any, the same text or buffer comes back.
 * A line neither form reads is kept as it is, for the store to refuse and the writer to isolate.
 */
export function arrayLines(lines: string | Buffer): string | Buffer {
  // A batch is up to tens of MiB: found on the bytes, so array-only batches are never decoded.
  if (!lines.slice(0, 1).includes('{') && !lines.includes('\n{')) return lines;
  const text = typeof lines === 'string' ? lines : lines.toString('utf8');
  return text
    .split('\n')
    .map((line) => {
      if (!line.startsWith('{')) return line;
      try {
        return asArrayLine(line);
      } catch {
        return line;
      }
    })
    .join('\n');
}

/**
 * Pure: a queued line for people to read (a dead letter): the object form with named members,
 * or the line as it is when it does not parse.
 */
export function readableQueuedLine(line: string): string {
  try {
    return JSON.stringify(parseQueuedLine(line));
  } catch {
    return line;
  }
}

/**
 * Pure: the service of a queued line: the fifth member of an array line, or the top-level "service"
 * member of an object line wherever it stands (nested objects and strings are skipped, not
 * searched); undefined when the line has no string service before any malformed part.
 */
export function queuedLineService(line: string): string | undefined {
  let i = skipSpace(line, 0);
  if (line.charCodeAt(i) === OPEN_BRACKET) return arrayMemberString(line, i, SERVICE_INDEX);
  if (line.charCodeAt(i) !== OPEN_BRACE) return undefined;
  i = skipSpace(line, i + 1);
  while (line.charCodeAt(i) === QUOTE) {
    const keyEnd = stringEnd(line, i);
    if (keyEnd < 0) return undefined;
    // An escaped spelling ("servic\u0065") is the same key to a JSON parser.
    const isService =
      keyEnd - i === 9
        ? line.startsWith('"service"', i)
        : hasBackslash(line, i, keyEnd) && stringValue(line, i, keyEnd) === 'service';
    i = skipSpace(line, keyEnd);
    if (line.charCodeAt(i) !== COLON) return undefined;
    const valueStart = skipSpace(line, i + 1);
    const valueEnd = valueEndAt(line, valueStart);
    if (valueEnd < 0) return undefined;
    if (isService) return line.charCodeAt(valueStart) === QUOTE ? stringValue(line, valueStart, valueEnd) : undefined;
    i = skipSpace(line, valueEnd);
    if (line.charCodeAt(i) !== COMMA) return undefined;
    i = skipSpace(line, i + 1);
  }
  return undefined;
}

// The string at position `index` of the array opening at `open`, skipping the members before it.
function arrayMemberString(line: string, open: number, index: number): string | undefined {
  let i = skipSpace(line, open + 1);
  for (let n = 0; n < index; n++) {
    const end = valueEndAt(line, i);
    if (end < 0) return undefined;
    i = skipSpace(line, end);
    if (line.charCodeAt(i) !== COMMA) return undefined;
    i = skipSpace(line, i + 1);
  }
  if (line.charCodeAt(i) !== QUOTE) return undefined;
  const end = stringEnd(line, i);
  return end < 0 ? undefined : stringValue(line, i, end);
}

const QUOTE = 0x22;
const BACKSLASH = 0x5c;
const OPEN_BRACE = 0x7b;
const CLOSE_BRACE = 0x7d;
const OPEN_BRACKET = 0x5b;
const CLOSE_BRACKET = 0x5d;
const COLON = 0x3a;
const COMMA = 0x2c;

// A number, true, false or null ends at a separator or white space.
const endsScalar = (c: number) => c === COMMA || c === CLOSE_BRACE || c === CLOSE_BRACKET || c <= 0x20;

function skipSpace(s: string, i: number): number {
  for (let c = s.charCodeAt(i); c === 0x20 || c === 0x09 || c === 0x0a || c === 0x0d; c = s.charCodeAt(++i));
  return i;
}

// The index just past the string token opening at `start`, or -1 when it never closes.
function stringEnd(s: string, start: number): number {
  for (let from = start + 1; ;) {
    const quote = s.indexOf('"', from);
    if (quote < 0) return -1;
    // A quote preceded by an odd run of backslashes is escaped.
    let escapes = 0;
    while (s.charCodeAt(quote - 1 - escapes) === BACKSLASH) escapes++;
    if (escapes % 2 === 0) return quote + 1;
    from = quote + 1;
  }
}

// The index just past the value starting at `start` (string, object, array or scalar), or -1.
function valueEndAt(s: string, start: number): number {
  const first = s.charCodeAt(start);
  if (first === QUOTE) return stringEnd(s, start);
  if (first !== OPEN_BRACE && first !== OPEN_BRACKET) {
    let i = start;
    while (i < s.length && !endsScalar(s.charCodeAt(i))) i++;
    return i > start ? i : -1;
  }
  let depth = 0;
  for (let i = start; i < s.length;) {
    const c = s.charCodeAt(i);
    if (c === QUOTE) {
      i = stringEnd(s, i);
      if (i < 0) return -1;
      continue;
    }
    if (c === OPEN_BRACE || c === OPEN_BRACKET) depth++;
    else if ((c === CLOSE_BRACE || c === CLOSE_BRACKET) && --depth === 0) return i + 1;
    i++;
  }
  return -1;
}

function hasBackslash(s: string, start: number, end: number): boolean {
  for (let i = start; i < end; i++) if (s.charCodeAt(i) === BACKSLASH) return true;
  return false;
}

function stringValue(s: string, start: number, end: number): string | undefined {
  // Most services need no unescaping; JSON.parse decodes the rest exactly.
  if (!hasBackslash(s, start, end)) return s.slice(start + 1, end - 1);
  try {
    return JSON.parse(s.slice(start, end)) as string;
  } catch {
    return undefined;
  }
}
