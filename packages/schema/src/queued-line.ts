import type { LogRecord } from './log-record.ts';

/**
 * Pure: the line a stored record travels as from the collector through the queue to the store: one
 * JSONEachRow object, with the tenant's retention as `retention_days` when it has one (whole days).
 */
export function queuedLine(record: LogRecord, retentionDays?: number): string {
  const line = JSON.stringify(record);
  // Appending before the closing brace costs one copy of the text; a spread record would cost a second object too.
  return retentionDays === undefined ? line : `${line.slice(0, -1)},"retention_days":${retentionDays}}`;
}

/**
 * Pure: the service of a queued line, read from its top-level "service" member wherever it stands
 * (nested objects and strings are skipped, not searched); undefined when the line is not a JSON
 * object with a string service before any malformed part.
 */
export function queuedLineService(line: string): string | undefined {
  let i = skipSpace(line, 0);
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
