const NS_PER_MS = 1_000_000n;

// Epoch numbers carry no unit, so the unit is read from the magnitude: anything up to 1e14 is
// milliseconds (year 5138), up to 1e17 microseconds, beyond that nanoseconds. Seconds are not
// accepted as numbers because 1e9–1e12 would be ambiguous with early milliseconds.
const MS_LIMIT = 100_000_000_000_000n;
const US_LIMIT = 100_000_000_000_000_000n;

/**
 * The latest storable instant: DateTime64(9) is a signed 64-bit count of nanoseconds, so
 * 2262-04-11T23:47:16.854775807Z is its end; a later value makes ClickHouse refuse the whole insert.
 */
export const MAX_TIMESTAMP_NS = 9_223_372_036_854_775_807n;

// RFC 3339 with an optional fraction of up to 9 digits; the fraction is kept exactly.
const RFC3339 = /^(\d{4}-\d{2}-\d{2})[Tt ](\d{2}:\d{2}:\d{2})(?:\.(\d{1,9}))?(Z|z|[+-]\d{2}:\d{2})$/;

/**
 * Pure: parses an RFC 3339 string or an epoch number (ms, µs or ns) into epoch nanoseconds, or
 * undefined when it is malformed or outside 1970 … MAX_TIMESTAMP_NS.
 */
export function parseTimestamp(value: string | number | bigint): bigint | undefined {
  const ns = parseUnbounded(value);
  return ns !== undefined && ns >= 0n && ns <= MAX_TIMESTAMP_NS ? ns : undefined;
}

function parseUnbounded(value: string | number | bigint): bigint | undefined {
  if (typeof value === 'bigint') return value >= 0n ? epochToNs(value) : undefined;
  if (typeof value === 'number') {
    if (!Number.isFinite(value) || value < 0) return undefined;
    if (Number.isInteger(value)) return epochToNs(BigInt(value));
    // A fractional number can only be milliseconds with a sub-millisecond part.
    return BigInt(Math.round(value * 1e6));
  }
  const text = value.trim();
  if (/^\d{1,20}$/.test(text)) return epochToNs(BigInt(text));
  const m = RFC3339.exec(text);
  if (!m) return undefined;
  const [, date, clock, fraction = '', zone] = m;
  const ms = Date.parse(`${date}T${clock}${zone === 'z' ? 'Z' : zone}`);
  if (Number.isNaN(ms)) return undefined;
  return BigInt(ms) * NS_PER_MS + BigInt(fraction.padEnd(9, '0'));
}

function epochToNs(n: bigint): bigint {
  if (n < MS_LIMIT) return n * NS_PER_MS;
  if (n < US_LIMIT) return n * 1000n;
  return n;
}

/** Pure: formats epoch nanoseconds as RFC 3339 UTC with all nine fraction digits. */
export function formatTimestamp(ns: bigint): string {
  const ms = ns / NS_PER_MS;
  const iso = new Date(Number(ms)).toISOString(); // 2026-01-02T03:04:05.678Z
  const fraction = (ns % 1_000_000_000n).toString().padStart(9, '0');
  return `${iso.slice(0, 19)}.${fraction}Z`;
}

/** Pure: formatTimestamp(ns), or the receive time's preformatted text when ns is the receive time. */
export function formatAt(ns: bigint, received: { receivedNs: bigint; receivedText?: string | undefined }): string {
  const { receivedNs, receivedText } = received;
  return ns === receivedNs && receivedText !== undefined ? receivedText : formatTimestamp(ns);
}

// Epoch milliseconds up to this one stay within MAX_TIMESTAMP_NS.
const MAX_MS = Number(MAX_TIMESTAMP_NS / NS_PER_MS);
const DAYS_IN_MONTH = [31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31];

/**
 * Pure: formatTimestamp(parseTimestamp(value)) for the two forms most clients send, epoch
 * milliseconds and RFC 3339 in UTC ("2026-01-02T03:04:05.678Z"), without BigInt or a Date parse;
 * undefined for every other value, which then takes the general path.
 */
export function commonTimestampText(value: string | number): string | undefined {
  if (typeof value === 'number') {
    return Number.isInteger(value) && value >= 0 && value <= MAX_MS ? msText(value) : undefined;
  }
  const n = value.length;
  if (n !== 20 && (n < 22 || n > 30)) return undefined;
  if (value.charCodeAt(n - 1) !== 0x5a /* Z */ || (n > 20 && value.charCodeAt(19) !== 0x2e) /* . */) return undefined;
  if (value[4] !== '-' || value[7] !== '-' || value[10] !== 'T') return undefined;
  if (value[13] !== ':' || value[16] !== ':') return undefined;
  const year = digits(value, 0, 4);
  const month = digits(value, 5, 2);
  const day = digits(value, 8, 2);
  // Years up to 2261 are within MAX_TIMESTAMP_NS whatever the rest; 2262 takes the general path.
  if (year < 1970 || year > 2261 || month < 1 || month > 12 || day < 1) return undefined;
  const leap = month === 2 && year % 4 === 0 && (year % 100 !== 0 || year % 400 === 0);
  if (day > DAYS_IN_MONTH[month - 1]! + (leap ? 1 : 0)) return undefined;
  // Hour 24 and second 60 are refused here; Date.parse may read them, so they take the general path.
  const hour = digits(value, 11, 2);
  const minute = digits(value, 14, 2);
  const second = digits(value, 17, 2);
  if (hour < 0 || hour > 23 || minute < 0 || minute > 59 || second < 0 || second > 59) return undefined;
  if (n === 20) return `${value.slice(0, 19)}.000000000Z`;
  if (digits(value, 20, n - 21) < 0) return undefined;
  return n === 30 ? value : `${value.slice(0, n - 1)}${'0'.repeat(30 - n)}Z`;
}

const PAD2 = Array.from({ length: 100 }, (_, i) => String(i).padStart(2, '0'));
const PAD3 = Array.from({ length: 1000 }, (_, i) => String(i).padStart(3, '0'));
const MS_PER_DAY = 86_400_000;

// Date#toISOString costs ~0.4 µs, most of a record's time handling; this is the civil-from-days
// arithmetic of https://howardhinnant.github.io/date_algorithms.html, exact for 1970 … 2262.
function msText(ms: number): string {
  const days = Math.floor(ms / MS_PER_DAY);
  let rest = ms - days * MS_PER_DAY;
  const hour = Math.floor(rest / 3_600_000);
  rest -= hour * 3_600_000;
  const minute = Math.floor(rest / 60_000);
  rest -= minute * 60_000;
  const second = Math.floor(rest / 1000);
  const milli = rest - second * 1000;
  const z = days + 719_468;
  const era = Math.floor(z / 146_097);
  const dayOfEra = z - era * 146_097;
  const leapDays = Math.floor(dayOfEra / 1460) - Math.floor(dayOfEra / 36_524) + Math.floor(dayOfEra / 146_096);
  const yearOfEra = Math.floor((dayOfEra - leapDays) / 365);
  const dayOfYear = dayOfEra - (365 * yearOfEra + Math.floor(yearOfEra / 4) - Math.floor(yearOfEra / 100));
  const shiftedMonth = Math.floor((5 * dayOfYear + 2) / 153);
  const day = dayOfYear - Math.floor((153 * shiftedMonth + 2) / 5) + 1;
  const month = shiftedMonth < 10 ? shiftedMonth + 3 : shiftedMonth - 9;
  const year = yearOfEra + era * 400 + (month <= 2 ? 1 : 0);
  return `${year}-${PAD2[month]}-${PAD2[day]}T${PAD2[hour]}:${PAD2[minute]}:${PAD2[second]}.${PAD3[milli]}000000Z`;
}

// The decimal value of `length` ASCII digits at `from`, or -1 when any is not a digit.
function digits(text: string, from: number, length: number): number {
  let value = 0;
  for (let i = from; i < from + length; i++) {
    const d = text.charCodeAt(i) - 0x30;
    if (d < 0 || d > 9) return -1;
    value = value * 10 + d;
  }
  return value;
}

/** Pure: the current time as epoch nanoseconds, from a millisecond clock. */
export function nowNs(clockMs: number = Date.now()): bigint {
  return BigInt(Math.trunc(clockMs)) * NS_PER_MS;
}

// Relative times like now-15m, now-2h, now-7d, or plain now.
const RELATIVE = /^now(?:-(\d+)(ms|s|m|h|d|w))?$/;
const UNIT_MS: Record<string, number> = { ms: 1, s: 1000, m: 60_000, h: 3_600_000, d: 86_400_000, w: 604_800_000 };

/**
 * Pure: parses "now", "now-15m" or an absolute timestamp into epoch nanoseconds relative to `nowMs`.
 * A relative time further back than 1970 means "from the beginning" and reads as 0.
 */
export function parseTimeExpression(value: string, nowMs: number): bigint | undefined {
  const rel = RELATIVE.exec(value.trim());
  if (rel) {
    const [, amount, unit] = rel;
    // BigInt arithmetic: "now-99999999999999999999w" would be Infinity as a number.
    const offset = amount && unit ? BigInt(amount) * BigInt(UNIT_MS[unit] ?? 0) * NS_PER_MS : 0n;
    const ns = nowNs(nowMs) - offset;
    return ns < 0n ? 0n : ns;
  }
  return parseTimestamp(value);
}
