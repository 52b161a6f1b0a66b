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
