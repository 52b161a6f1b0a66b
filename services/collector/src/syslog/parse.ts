import { parseRfc3164, type Rfc3164Options } from './rfc3164.ts';
import { parseRfc5424 } from './rfc5424.ts';
import { toRecordInput } from './record.ts';

/** Which grammar a line followed; "raw" lines are kept whole as the body. */
export type SyslogFormat = 'rfc5424' | 'rfc3164' | 'raw';

const RFC5424_START = /^<\d{1,3}>1 /;
const LEADING_PRI = /^<(\d{1,3})>/;
const TRAILING_NEWLINES = /[\r\n\0]+$/;

/** Pure: which grammar a line claims to follow, from its first bytes. */
export function detectFormat(line: string): SyslogFormat {
  if (RFC5424_START.test(line)) return 'rfc5424';
  if (line.startsWith('<') || /^[A-Z][a-z]{2} +\d{1,2} \d{2}:/.test(line) || /^\d{4}-\d{2}-\d{2}T/.test(line))
    return 'rfc3164';
  return 'raw';
}

/**
 * Pure: turns one syslog line into a record for normalizeRecord. A line that follows no grammar is
 * still kept, whole, as the body of a "syslog" record: syslog senders cannot be told about errors.
 * A line with nothing but whitespace, newlines or NULs is no message: undefined.
 */
export function parseSyslogLine(
  text: string,
  options: Rfc3164Options,
): { format: SyslogFormat; record: Record<string, unknown> } | undefined {
  const line = text.replace(TRAILING_NEWLINES, '');
  if (line.trim() === '') return undefined;
  const claimed = detectFormat(line);
  const parts =
    claimed === 'rfc5424' ? parseRfc5424(line) : claimed === 'rfc3164' ? parseRfc3164(line, options) : undefined;
  if (parts) return { format: claimed, record: toRecordInput(parts, line) };
  // A broken header may still carry a usable PRI, which keeps the line's severity.
  const pri = LEADING_PRI.exec(line);
  const priValue = pri ? Number(pri[1]) : undefined;
  return {
    format: 'raw',
    record: toRecordInput(
      { ...(priValue !== undefined && priValue <= 191 ? { pri: priValue } : {}), message: line },
      line,
    ),
  };
}
