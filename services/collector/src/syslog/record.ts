import { LIMITS } from '@instant-logs/schema';

/** What a syslog line said, before it is mapped onto a log record. Absent parts stay undefined. */
export interface SyslogParts {
  /** PRI value (facility × 8 + severity); undefined when the line had none. */
  pri?: number;
  /** RFC 3339; undefined means "use the receive time". */
  timestamp?: string;
  hostname?: string;
  appName?: string;
  procId?: string;
  msgId?: string;
  /** Structured data elements in the order sent: [SD-ID, params]. */
  structuredData?: Array<[string, Array<[string, string]>]>;
  message: string;
}

/** RFC 5424 §6.2.1 severity names, indexed by severity code. */
export const SEVERITY_NAMES = ['emerg', 'alert', 'crit', 'err', 'warning', 'notice', 'info', 'debug'] as const;

/** RFC 5424 §6.2.1 facility names, indexed by facility code. */
export const FACILITY_NAMES = [
  'kern',
  'user',
  'mail',
  'daemon',
  'auth',
  'syslog',
  'lpr',
  'news',
  'uucp',
  'cron',
  'authpriv',
  'ftp',
  'ntp',
  'security',
  'console',
  'solaris-cron',
  'local0',
  'local1',
  'local2',
  'local3',
  'local4',
  'local5',
  'local6',
  'local7',
] as const;

// RFC 3164 §4.3.3: a relay that finds no PRI treats the message as user.notice.
const DEFAULT_PRI = 1 * 8 + 5;
const FALLBACK_SERVICE = 'syslog';
// Room left for the fixed attributes, so structured data can never push a record over the limit.
const MAX_SD_ATTRIBUTES = LIMITS.maxAttributes - 8;

/**
 * Pure: maps syslog parts onto the input shape normalizeRecord accepts. The severity name is sent as
 * severity_text; normalizeRecord's aliases turn emerg/alert/crit into fatal, err into error, warning
 * into warn, notice/info into info and debug into debug.
 */
export function toRecordInput(parts: SyslogParts, rawLine: string): Record<string, unknown> {
  const pri = parts.pri ?? DEFAULT_PRI;
  const attributes: Record<string, string> = {};
  // defineProperty keeps a hostile key such as "__proto__" as plain data.
  const set = (key: string, value: string) =>
    Object.defineProperty(attributes, key, { value, enumerable: true, writable: true, configurable: true });
  set('syslog.facility', FACILITY_NAMES[pri >> 3] ?? String(pri >> 3));
  if (parts.procId) set('process.pid', parts.procId);
  if (parts.msgId) set('syslog.msgid', parts.msgId);
  let sdCount = 0;
  for (const [id, params] of parts.structuredData ?? []) {
    for (const [name, value] of params) {
      const key = `${id}.${name}`;
      if (key.length > LIMITS.maxKeyLength || (!(key in attributes) && ++sdCount > MAX_SD_ATTRIBUTES)) continue;
      set(key, value);
    }
  }
  const record: Record<string, unknown> = {
    service: (parts.appName || FALLBACK_SERVICE).slice(0, LIMITS.maxServiceLength),
    severity_text: SEVERITY_NAMES[pri & 7],
    // An empty MSG (allowed by RFC 5424) would be refused as a record, so the whole line stands in.
    message: parts.message.trim() === '' ? rawLine : parts.message,
    attributes,
    resource: parts.hostname ? { 'host.name': parts.hostname } : {},
  };
  if (parts.timestamp !== undefined) record.timestamp = parts.timestamp;
  return record;
}
