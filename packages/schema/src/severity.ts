/** The six levels every record is normalised to, ordered by severity. */
export const LEVELS = ['trace', 'debug', 'info', 'warn', 'error', 'fatal'] as const;
export type Level = (typeof LEVELS)[number];

// Lowest OpenTelemetry severity number of each level (TRACE=1 … FATAL=21).
const OTEL_BASE: Record<Level, number> = { trace: 1, debug: 5, info: 9, warn: 13, error: 17, fatal: 21 };

const ALIASES: Record<string, Level> = {
  trace: 'trace',
  trc: 'trace',
  finest: 'trace',
  verbose: 'trace',
  debug: 'debug',
  dbg: 'debug',
  fine: 'debug',
  info: 'info',
  information: 'info',
  informational: 'info',
  notice: 'info',
  inf: 'info',
  warn: 'warn',
  warning: 'warn',
  wrn: 'warn',
  error: 'error',
  err: 'error',
  eror: 'error',
  severe: 'error',
  fatal: 'fatal',
  critical: 'fatal',
  crit: 'fatal',
  alert: 'fatal',
  emerg: 'fatal',
  emergency: 'fatal',
  panic: 'fatal',
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

/** A record's severity fields as sent, already checked for type. */
export interface SeverityFields {
  severity_text?: string | undefined;
  level?: string | number | undefined;
  severity?: string | number | undefined;
  severity_number?: number | undefined;
}

export type Severity = { level: Level; text: string; number: number } | { field: string; error: string };

/** Pure: the level, severity text and number a record's severity fields stand for, or the field at fault and why. */
export function resolveSeverity(input: SeverityFields): Severity {
  const textField =
    input.severity_text !== undefined ? 'severity_text' : input.level !== undefined ? 'level' : 'severity';
  const given = input.severity_text ?? input.level ?? input.severity;
  if (given === undefined) {
    if (input.severity_number === undefined) return { level: 'info', text: 'INFO', number: severityNumberOf('info') };
    const level = levelFromSeverityNumber(input.severity_number)!;
    return { level, text: level.toUpperCase(), number: input.severity_number };
  }
  if (typeof given === 'number') {
    const level = levelFromPinoNumber(given) ?? levelFromSeverityNumber(given);
    if (!level)
      return {
        field: textField,
        error: 'numeric levels must be pino-style (10, 20 … 60) or OpenTelemetry severity numbers (1–24)',
      };
    return { level, text: level.toUpperCase(), number: input.severity_number ?? severityNumberOf(level) };
  }
  // An unusual spelling is fine when a severity number says what it means (OpenTelemetry sends both).
  const level =
    levelFromText(given) ??
    (input.severity_number === undefined ? undefined : levelFromSeverityNumber(input.severity_number));
  if (!level)
    return {
      field: textField,
      error: `unknown level "${given.slice(0, 32)}"; use one of ${LEVEL_SPELLINGS.join(', ')}`,
    };
  return { level, text: given.toWellFormed(), number: input.severity_number ?? severityNumberOf(level) };
}
