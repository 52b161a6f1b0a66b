/** The six levels every record is normalised to, ordered by severity. */
export const LEVELS = ['trace', 'debug', 'info', 'warn', 'error', 'fatal'] as const;
export type Level = (typeof LEVELS)[number];

// Lowest OpenTelemetry severity number of each level (TRACE=1 … FATAL=21).
const OTEL_BASE: Record<Level, number> = { trace: 1, debug: 5, info: 9, warn: 13, error: 17, fatal: 21 };

const ALIASES: Record<string, Level> = {
  trace: 'trace', trc: 'trace', finest: 'trace', verbose: 'trace',
  debug: 'debug', dbg: 'debug', fine: 'debug',
  info: 'info', information: 'info', informational: 'info', notice: 'info', inf: 'info',
  warn: 'warn', warning: 'warn', wrn: 'warn',
  error: 'error', err: 'error', eror: 'error', severe: 'error',
  fatal: 'fatal', critical: 'fatal', crit: 'fatal', alert: 'fatal', emerg: 'fatal', emergency: 'fatal', panic: 'fatal',
};

/** Every spelling accepted as a level, for error messages and docs. */
export const LEVEL_SPELLINGS = Object.keys(ALIASES);

/** Pure: maps a level name or alias (case-insensitive, e.g. "WARNING", "Err") to its level, or undefined. */
export function levelFromText(text: string): Level | undefined {
  return ALIASES[text.trim().toLowerCase()];
}

/** Pure: maps an OpenTelemetry severity number (1–24) to its level. */
export function levelFromSeverityNumber(n: number): Level | undefined {
  if (!Number.isInteger(n) || n < 1 || n > 24) return undefined;
  return LEVELS[Math.floor((n - 1) / 4)];
}

/** Pure: maps a pino/bunyan numeric level (10 trace … 60 fatal) to its level. */
export function levelFromPinoNumber(n: number): Level | undefined {
  if (!Number.isInteger(n) || n < 10 || n > 60 || n % 10 !== 0) return undefined;
  return LEVELS[n / 10 - 1];
}

/** Pure: the OpenTelemetry severity number that stands for a level. */
export function severityNumberOf(level: Level): number {
  return OTEL_BASE[level];
}
