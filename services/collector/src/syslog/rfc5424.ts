import { parseTimestamp } from '@instant-logs/schema';
import type { SyslogParts } from './record.ts';

// RFC 5424 §6: <PRI>VERSION SP TIMESTAMP SP HOSTNAME SP APP-NAME SP PROCID SP MSGID SP STRUCTURED-DATA [SP MSG]
const HEADER = /^<(\d{1,3})>1 (\S+) (\S+) (\S+) (\S+) (\S+) /;
const NIL = '-';
const BOM = '\uFEFF';
const MAX_PRI = 191;

/** Pure: parses one RFC 5424 message, or returns undefined when it does not follow the grammar. */
export function parseRfc5424(line: string): SyslogParts | undefined {
  const header = HEADER.exec(line);
  if (!header) return undefined;
  const [whole, priText, timestamp, hostname, appName, procId, msgId] = header as unknown as string[];
  const pri = Number(priText);
  if (pri > MAX_PRI) return undefined;
  if (timestamp !== NIL && parseTimestamp(timestamp!) === undefined) return undefined;
  const sd = parseStructuredData(line, whole!.length);
  if (!sd) return undefined;
  let message = line.slice(sd.end);
  if (message.startsWith(' ')) message = message.slice(1);
  else if (message !== '') return undefined;
  // §6.4: a MSG that starts with a BOM is UTF-8; the BOM itself is not part of the text.
  if (message.startsWith(BOM)) message = message.slice(1);
  return {
    pri,
    ...(timestamp !== NIL ? { timestamp } : {}),
    ...(hostname !== NIL ? { hostname } : {}),
    ...(appName !== NIL ? { appName } : {}),
    ...(procId !== NIL ? { procId } : {}),
    ...(msgId !== NIL ? { msgId } : {}),
    structuredData: sd.elements,
    message,
  };
}

type Elements = NonNullable<SyslogParts['structuredData']>;

/** Reads "-" or one or more [SD-ID param="value" ...] starting at `pos`; undefined when malformed. */
function parseStructuredData(line: string, pos: number): { elements: Elements; end: number } | undefined {
  if (line[pos] === NIL) return { elements: [], end: pos + 1 };
  const elements: Elements = [];
  while (line[pos] === '[') {
    const id = readName(line, pos + 1);
    if (!id) return undefined;
    pos = id.end;
    const params: Array<[string, string]> = [];
    while (line[pos] === ' ') {
      const name = readName(line, pos + 1);
      if (!name || line[name.end] !== '=' || line[name.end + 1] !== '"') return undefined;
      const value = readQuoted(line, name.end + 2);
      if (!value) return undefined;
      params.push([name.text, value.text]);
      pos = value.end;
    }
    if (line[pos] !== ']') return undefined;
    elements.push([id.text, params]);
    pos++;
  }
  return elements.length > 0 ? { elements, end: pos } : undefined;
}

// SD-NAME: 1–32 printable US-ASCII characters except '=', SP, ']' and '"'.
function readName(line: string, pos: number): { text: string; end: number } | undefined {
  let end = pos;
  while (end < line.length && end - pos < 32) {
    const c = line.charCodeAt(end);
    if (c <= 32 || c >= 127 || c === 61 || c === 93 || c === 34) break;
    end++;
  }
  return end > pos ? { text: line.slice(pos, end), end } : undefined;
}

// PARAM-VALUE: '"', '\' and ']' are escaped with '\'; any other backslash is kept as it is (§6.3.3).
function readQuoted(line: string, pos: number): { text: string; end: number } | undefined {
  let text = '';
  for (let i = pos; i < line.length; i++) {
    const c = line[i];
    if (c === '"') return { text, end: i + 1 };
    if (c === '\\' && (line[i + 1] === '"' || line[i + 1] === '\\' || line[i + 1] === ']')) {
      text += line[++i];
      continue;
    }
    text += c;
  }
  return undefined;
}
