import { parseTimestamp } from '@instant-logs/schema';
import type { SyslogParts } from './record.ts';

/** How a BSD syslog line's timestamp is read: it names neither year nor zone. */
export interface Rfc3164Options {
  /** Epoch ms of reception; picks the year. */
  nowMs: number;
  /** Offset of the senders' clocks from UTC in minutes (e.g. 60 for UTC+1); 0 by default. */
  utcOffsetMinutes?: number;
}

const PRI = /^<(\d{1,3})>/;
const MONTHS = ['Jan', 'Feb', 'Mar', 'Apr', 'May', 'Jun', 'Jul', 'Aug', 'Sep', 'Oct', 'Nov', 'Dec'];
// "Mmm dd hh:mm:ss", day space-padded; some daemons add a fraction of a second.
const BSD_TIME = /^([A-Z][a-z]{2}) +(\d{1,2}) (\d{2}):(\d{2}):(\d{2})(?:\.(\d{1,6}))? +/;
// rsyslog and syslog-ng can send an RFC 3339 stamp in the old format.
const ISO_TIME = /^(\d{4}-\d{2}-\d{2}T\S+) +/;
// TAG is alphanumeric in RFC 3164 but real daemons send dots, dashes and slashes; "[pid]" is a convention.
const TAG = /^([^\s[\]:]{1,48})(?:\[([^\]\s]{0,32})\])?:(?: |$)|^([^\s[\]:]{1,48})\[([^\]\s]{0,32})\](?: |$)/;
const DAY_MS = 86_400_000;
const MAX_PRI = 191;

/**
 * Pure: parses a BSD syslog line (RFC 3164) the tolerant way real daemons do: PRI, timestamp,
 * host and tag may each be missing. Undefined when the line has neither a PRI nor a timestamp.
 */
export function parseRfc3164(line: string, options: Rfc3164Options): SyslogParts | undefined {
  let rest = line;
  let pri: number | undefined;
  const priMatch = PRI.exec(rest);
  if (priMatch && Number(priMatch[1]) <= MAX_PRI) {
    pri = Number(priMatch[1]);
    rest = rest.slice(priMatch[0].length);
  }
  const time = readTimestamp(rest, options);
  if (time) rest = rest.slice(time.length);
  if (pri === undefined && !time) return undefined;

  let hostname: string | undefined;
  // After a timestamp comes HOSTNAME, unless the next word is already the tag (host left out).
  if (time) {
    const word = /^(\S+) +/.exec(rest);
    if (word && !TAG.test(rest)) {
      hostname = word[1];
      rest = rest.slice(word[0].length);
    }
  }
  const tag = TAG.exec(rest);
  const parts: SyslogParts = { message: tag ? rest.slice(tag[0].length) : rest };
  if (pri !== undefined) parts.pri = pri;
  if (time) parts.timestamp = time.timestamp;
  if (hostname) parts.hostname = hostname;
  if (tag) {
    parts.appName = tag[1] ?? tag[3];
    const pid = tag[2] ?? tag[4];
    if (pid) parts.procId = pid;
  }
  return parts;
}

function readTimestamp(text: string, options: Rfc3164Options): { timestamp: string; length: number } | undefined {
  const iso = ISO_TIME.exec(text);
  if (iso && parseTimestamp(iso[1]!) !== undefined) return { timestamp: iso[1]!, length: iso[0].length };
  const m = BSD_TIME.exec(text);
  if (!m) return undefined;
  const [whole, mon, day, hh, mm, ss, fraction = ''] = m as unknown as string[];
  const month = MONTHS.indexOf(mon!);
  const d = Number(day),
    h = Number(hh),
    mi = Number(mm),
    s = Number(ss);
  if (month < 0 || d < 1 || d > 31 || h > 23 || mi > 59 || s > 60) return undefined;
  const offsetMs = (options.utcOffsetMinutes ?? 0) * 60_000;
  const at = (year: number) =>
    Date.UTC(year, month, d, h, mi, Math.min(s, 59), Number(fraction.padEnd(3, '0').slice(0, 3))) - offsetMs;
  // No year is sent: take the current one, unless that lands more than a day ahead (a December
  // message read in January), then it was last year's.
  const year = new Date(options.nowMs + offsetMs).getUTCFullYear();
  let ms = at(year);
  if (ms > options.nowMs + DAY_MS) ms = at(year - 1);
  return { timestamp: new Date(ms).toISOString(), length: whole!.length };
}
