import { formatTimestamp } from '@instant-logs/schema';

/** One OTLP LogRecord as both decoders see it, before it becomes a collector input object. */
export interface OtlpLog {
  timeUnixNano: bigint;
  observedTimeUnixNano: bigint;
  /** 0 = SEVERITY_NUMBER_UNSPECIFIED. */
  severityNumber: number;
  severityText: string;
  /** The body as a JSON-friendly value; undefined when the record has none. */
  body: unknown;
  attributes: Record<string, unknown>;
  /** Lowercase hex; '' when absent. */
  traceId: string;
  spanId: string;
  eventName: string;
}

/** The InstrumentationScope a record was emitted under. */
export interface OtlpScope {
  name: string;
  version: string;
}

/** AnyValue nesting beyond which a request is refused before recursion can exhaust the stack; the schema's lower limit applies later. */
export const MAX_NESTING = 64;

// parseTimestamp reads bare digits below 1e17 as milliseconds or microseconds (time.ts), so nanosecond
// times before 1973-03-03 travel as RFC 3339 instead; later ones stay digits, exact either way.
const DIGITS_READ_AS_NS = 100_000_000_000_000_000n;
const nsText = (ns: bigint) => (ns >= DIGITS_READ_AS_NS ? ns.toString() : formatTimestamp(ns));

/**
 * Pure: maps one OTLP log record onto the collector's input object (see normalizeRecord).
 * Absent values are left out, so the collector's defaults (receive time, INFO) apply.
 * Records of one ResourceLogs share their `resource` object: treat it as read-only.
 */
export function toRecordInput(
  log: OtlpLog,
  scope: OtlpScope,
  resource: Record<string, unknown>,
): Record<string, unknown> {
  const attributes: Record<string, unknown> = {};
  // Scope first, so a record's own attribute of the same name wins.
  if (scope.name) put(attributes, 'otel.scope.name', scope.name);
  if (scope.version) put(attributes, 'otel.scope.version', scope.version);
  for (const key of Object.keys(log.attributes)) put(attributes, key, log.attributes[key]);
  // The dedicated field wins over an attribute of the same name: it is the newer way to say the same thing.
  if (log.eventName) put(attributes, 'event.name', log.eventName);

  const record: Record<string, unknown> = {};
  // time_unix_nano 0 means "unknown" (logs.proto); the observed time is the next best, then receive time.
  const time = log.timeUnixNano !== 0n ? log.timeUnixNano : log.observedTimeUnixNano;
  if (time !== 0n) record.timestamp = nsText(time);
  if (log.observedTimeUnixNano !== 0n) record.observed_timestamp = nsText(log.observedTimeUnixNano);
  if (log.severityNumber !== 0) record.severity_number = log.severityNumber;
  if (log.severityText) record.severity_text = log.severityText;
  if (log.body !== undefined) record.body = log.body;
  record.attributes = attributes;
  record.resource = resource;
  if (log.traceId && !/^0+$/.test(log.traceId)) record.trace_id = log.traceId;
  if (log.spanId && !/^0+$/.test(log.spanId)) record.span_id = log.spanId;
  return record;
}

/** Pure: sets a key as plain data, so a "__proto__" key cannot reach the prototype. */
export function put(target: Record<string, unknown>, key: string, value: unknown): void {
  // Only "__proto__" has a setter on a plain object; defineProperty is far slower, so it is kept for that key.
  if (key === '__proto__')
    Object.defineProperty(target, key, { value, enumerable: true, writable: true, configurable: true });
  else target[key] = value;
}

/**
 * Pure: an int64 as a JSON-friendly value: a number while it is exact, its decimal text beyond 2^53
 * (a BigInt would make JSON.stringify throw further down the pipeline).
 */
export function int64Value(value: bigint): number | string {
  return value >= BigInt(Number.MIN_SAFE_INTEGER) && value <= BigInt(Number.MAX_SAFE_INTEGER)
    ? Number(value)
    : value.toString();
}
