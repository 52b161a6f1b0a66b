import { z } from 'zod';
import { flattenAttributes, toText } from './attributes.ts';
import { LIMITS } from './limits.ts';
import { normalizeCommonRecord } from './common-record.ts';
import { LEVELS, resolveSeverity } from './severity.ts';
import { formatAt, parseTimestamp } from './time.ts';

const hex = (length: number) =>
  z.string().regex(new RegExp(`^[0-9a-f]{${length}}$`), `must be ${length} lowercase hex digits`);

/**
 * A stored log record, after normalisation: the shape the store writes and the query API returns.
 * Modelled on the OpenTelemetry log data model.
 */
export const LogRecord = z.object({
  id: z.string(),
  tenant: z.string(),
  timestamp: z.string().describe('RFC 3339, nanosecond precision, UTC'),
  observed_timestamp: z.string(),
  service: z.string(),
  level: z.enum(LEVELS),
  severity_text: z.string(),
  severity_number: z.number().int().min(0).max(24),
  body: z.string(),
  attributes: z.record(z.string(), z.string()),
  resource: z.record(z.string(), z.string()),
  trace_id: z.string(),
  span_id: z.string(),
});
export type LogRecord = z.infer<typeof LogRecord>;

const timeInput = z.union([z.string(), z.number()], { error: 'must be an RFC 3339 string or a finite epoch number' });
const levelInput = z.union([z.string().max(LIMITS.maxSeverityTextLength), z.number()], {
  error: `must be a level name of at most ${LIMITS.maxSeverityTextLength} characters or a finite number`,
});
// z.custom keeps the caller's object as it is: z.record would silently drop keys like "__proto__".
const objectInput = z.custom<Record<string, unknown>>(
  (v) => typeof v === 'object' && v !== null && !Array.isArray(v),
  'must be a JSON object',
);

/**
 * The fields a client may send, with their accepted aliases (pino's `time`/`msg`/numeric `level`,
 * OpenTelemetry's `body`/`severity_*`). Any other top-level key becomes an attribute.
 */
export const LogRecordInput = z.looseObject({
  timestamp: timeInput.optional(),
  time: timeInput.optional(),
  observed_timestamp: timeInput.optional(),
  service: z.string().min(1).max(LIMITS.maxServiceLength).optional(),
  level: levelInput.optional(),
  severity: levelInput.optional(),
  severity_text: z.string().max(LIMITS.maxSeverityTextLength).optional(),
  severity_number: z.number().int().min(1).max(24).optional(),
  message: z.unknown().optional(),
  msg: z.unknown().optional(),
  body: z.unknown().optional(),
  attributes: objectInput.optional(),
  resource: objectInput.optional(),
  trace_id: hex(32).optional(),
  span_id: hex(16).optional(),
});
export type LogRecordInput = z.infer<typeof LogRecordInput>;

const KNOWN_FIELDS = new Set(Object.keys(LogRecordInput.shape));
// Tenancy comes from the caller's credentials, so a payload's own idea of it is dropped.
const IGNORED_FIELDS = new Set(['tenant', 'id']);

/** One rejected record: its position in the request, the field at fault and why. */
export interface RecordError {
  index: number;
  field: string;
  message: string;
}

/** What the server, not the client, decides about a record. */
export interface NormalizeContext {
  tenant: string;
  /** Receive time in epoch nanoseconds; the default timestamp. */
  receivedNs: bigint;
  /** receivedNs already formatted; most records take it as their observed time, so callers format it once per request. */
  receivedText?: string;
  newId: () => string;
}

export type NormalizeResult = { ok: true; record: LogRecord } | { ok: false; error: Omit<RecordError, 'index'> };

const TIME_RANGE = 'must be an RFC 3339 string or epoch milliseconds/microseconds/nanoseconds, from 1970 to 2262-04-11';

const fail = (field: string, message: string): NormalizeResult => ({ ok: false, error: { field, message } });

/** Pure apart from ctx.newId: validates one decoded record and normalises it into a LogRecord. */
export function normalizeRecord(raw: unknown, ctx: NormalizeContext): NormalizeResult {
  // zod is the reference; the common shape takes a faster path that a property test holds to the
  // same records and errors (common-record.test.ts).
  return normalizeCommonRecord(raw, ctx) ?? normalizeRecordReference(raw, ctx);
}

/** Pure apart from ctx.newId: normalizeRecord through zod for any input, the reference for the common-shape path. */
export function normalizeRecordReference(raw: unknown, ctx: NormalizeContext): NormalizeResult {
  if (typeof raw !== 'object' || raw === null || Array.isArray(raw)) return fail('(record)', 'must be a JSON object');
  const parsed = LogRecordInput.safeParse(raw);
  if (!parsed.success) {
    const issue = parsed.error.issues[0]!;
    return fail(issue.path.map(String).join('.') || '(record)', issue.message);
  }
  const input = parsed.data;

  const timestampIn = input.timestamp ?? input.time;
  const timestampNs = timestampIn === undefined ? ctx.receivedNs : parseTimestamp(timestampIn);
  if (timestampNs === undefined) return fail(input.timestamp !== undefined ? 'timestamp' : 'time', TIME_RANGE);
  const observedNs = input.observed_timestamp === undefined ? ctx.receivedNs : parseTimestamp(input.observed_timestamp);
  if (observedNs === undefined) return fail('observed_timestamp', TIME_RANGE);

  const bodyIn = input.message ?? input.msg ?? input.body;
  if (bodyIn === undefined || bodyIn === null || bodyIn === '')
    return fail('message', 'is required (also accepted as "msg" or "body")');
  const body = toText(bodyIn);
  if (typeof body !== 'string')
    return fail(input.message !== undefined ? 'message' : input.msg !== undefined ? 'msg' : 'body', body.message);

  const severity = resolveSeverity(input);
  if ('error' in severity) return fail(severity.field, severity.error);

  const extras: Record<string, unknown> = {};
  for (const key of Object.keys(raw)) {
    if (!KNOWN_FIELDS.has(key) && !IGNORED_FIELDS.has(key))
      defineData(extras, key, (raw as Record<string, unknown>)[key]);
  }
  for (const key of Object.keys(input.attributes ?? {})) defineData(extras, key, input.attributes![key]);
  const attrs = flattenAttributes(extras, 'attributes');
  if (attrs.problem) return fail(attrs.problem.path, attrs.problem.message);
  const res = flattenAttributes(input.resource ?? {}, 'resource');
  if (res.problem) return fail(res.problem.path, res.problem.message);

  // Lone surrogates would make ClickHouse refuse the whole insert; they become U+FFFD like the rest.
  const service = (input.service ?? res.attributes['service.name'])?.toWellFormed();
  if (!service) return fail('service', 'is required (or resource."service.name")');
  if (service.length > LIMITS.maxServiceLength)
    return fail('service', `longer than ${LIMITS.maxServiceLength} characters`);

  return {
    ok: true,
    record: {
      id: ctx.newId(),
      tenant: ctx.tenant,
      timestamp: formatAt(timestampNs, ctx),
      observed_timestamp: formatAt(observedNs, ctx),
      service,
      level: severity.level,
      severity_text: severity.text,
      severity_number: severity.number,
      body,
      attributes: attrs.attributes,
      resource: res.attributes,
      trace_id: input.trace_id ?? '',
      span_id: input.span_id ?? '',
    },
  };
}

// Plain assignment of "__proto__" would set the prototype instead of storing the value.
function defineData(target: Record<string, unknown>, key: string, value: unknown): void {
  Object.defineProperty(target, key, { value, enumerable: true, writable: true, configurable: true });
}
