import { parseTimeExpression } from '@instant-logs/schema';

/** A time range as the API takes it: `now-15m`, `now`, RFC 3339 or epoch milliseconds. */
export interface TimeRange {
  from: string;
  to: string;
}

export interface ResolvedRange {
  fromMs: number;
  toMs: number;
}

export const DEFAULT_RANGE: TimeRange = Object.freeze({ from: 'now-15m', to: 'now' });

export const PRESETS: readonly { label: string; from: string }[] = [
  { label: 'Last 5 minutes', from: 'now-5m' },
  { label: 'Last 15 minutes', from: 'now-15m' },
  { label: 'Last 1 hour', from: 'now-1h' },
  { label: 'Last 6 hours', from: 'now-6h' },
  { label: 'Last 24 hours', from: 'now-24h' },
  { label: 'Last 7 days', from: 'now-7d' },
];

// The smallest window a brush can zoom to: below that the histogram has nothing left to show.
const MIN_ZOOM_MS = 1000;

/** Pure: the range in epoch milliseconds at `nowMs`, or undefined when a bound is not a time or from > to. */
export function resolveRange(range: TimeRange, nowMs: number): ResolvedRange | undefined {
  const from = parseTimeExpression(range.from, nowMs);
  const to = parseTimeExpression(range.to, nowMs);
  if (from === undefined || to === undefined || from > to) return undefined;
  return { fromMs: Number(from / 1_000_000n), toMs: Number(to / 1_000_000n) };
}

/** Pure: whether `text` is a time the API accepts. */
export function isTimeExpression(text: string): boolean {
  return parseTimeExpression(text, 0) !== undefined;
}

// What people type into an absolute field: "2026-11-23 10:00", with or without seconds, in local time.
const LOCAL = /^(\d{4})-(\d{2})-(\d{2})[ T](\d{2}):(\d{2})(?::(\d{2})(?:\.(\d{1,3}))?)?$/;

/**
 * Pure apart from the local time zone: turns user input into an API time expression. Accepts
 * `now-2h` style, RFC 3339, and `YYYY-MM-DD HH:MM[:SS]` read in `zone` (local time unless UTC
 * is what the results show); undefined otherwise.
 */
export function normalizeTimeInput(text: string, zone: TimeZoneMode = 'local'): string | undefined {
  const t = text.trim();
  if (t === '') return undefined;
  const local = LOCAL.exec(t);
  if (local) {
    const [, y, mo, d, h, mi, s = '0', ms = '0'] = local;
    const parts = [
      Number(y),
      Number(mo) - 1,
      Number(d),
      Number(h),
      Number(mi),
      Number(s),
      Number(ms.padEnd(3, '0')),
    ] as const;
    const date = zone === 'utc' ? new Date(Date.UTC(...parts)) : new Date(...parts);
    return Number.isNaN(date.getTime()) ? undefined : date.toISOString();
  }
  return isTimeExpression(t) ? t : undefined;
}

/** Pure: the absolute range a brush selected, ordered and at least a second wide. */
export function zoomRange(aMs: number, bMs: number): TimeRange {
  let [start, end] = aMs <= bMs ? [aMs, bMs] : [bMs, aMs];
  if (end - start < MIN_ZOOM_MS) {
    const mid = (start + end) / 2;
    [start, end] = [mid - MIN_ZOOM_MS / 2, mid + MIN_ZOOM_MS / 2];
  }
  return { from: new Date(Math.floor(start)).toISOString(), to: new Date(Math.ceil(end)).toISOString() };
}

/** Pure: a label for the picker: the preset's name, or both ends in `zone`. */
export function describeRange(range: TimeRange, zone: TimeZoneMode = 'local'): string {
  if (range.to === 'now') {
    const preset = PRESETS.find((p) => p.from === range.from);
    if (preset) return preset.label;
    if (range.from.startsWith('now-')) return `Last ${range.from.slice(4)}`;
  }
  return `${describeBound(range.from, zone)} → ${describeBound(range.to, zone)}`;
}

function describeBound(expr: string, zone: TimeZoneMode): string {
  if (expr.startsWith('now')) return expr;
  const ns = parseTimeExpression(expr, 0);
  return ns === undefined ? expr : formatTime(Number(ns / 1_000_000n), zone);
}

const pad = (n: number, w = 2) => String(n).padStart(w, '0');

/** Pure apart from the local time zone: `2026-11-23 10:04:05`. */
export function formatLocal(ms: number, withMillis = false): string {
  return formatTime(ms, 'local', withMillis);
}

/** How timestamps are shown: in the browser's time zone, or in UTC (marked with a `Z`). */
export type TimeZoneMode = 'local' | 'utc';

/** Pure apart from the local time zone: `2026-11-23 10:04:05.123` locally, `2026-11-23 09:04:05.123Z` in UTC. */
export function formatTime(ms: number, zone: TimeZoneMode, withMillis = false): string {
  const d = new Date(ms);
  const utc = zone === 'utc';
  const [y, mo, day, h, mi, s, milli] = utc
    ? [
        d.getUTCFullYear(),
        d.getUTCMonth(),
        d.getUTCDate(),
        d.getUTCHours(),
        d.getUTCMinutes(),
        d.getUTCSeconds(),
        d.getUTCMilliseconds(),
      ]
    : [d.getFullYear(), d.getMonth(), d.getDate(), d.getHours(), d.getMinutes(), d.getSeconds(), d.getMilliseconds()];
  const base = `${y}-${pad(mo + 1)}-${pad(day)} ${pad(h)}:${pad(mi)}:${pad(s)}`;
  return `${base}${withMillis ? `.${pad(milli, 3)}` : ''}${utc ? 'Z' : ''}`;
}

/** Pure: the window of ±`spanMs` around an RFC 3339 timestamp, for "logs around this one" links. */
export function rangeAround(timestamp: string, spanMs: number): TimeRange {
  const ms = Date.parse(timestamp);
  return { from: new Date(ms - spanMs).toISOString(), to: new Date(ms + spanMs).toISOString() };
}
