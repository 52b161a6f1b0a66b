import { toText } from './attributes.ts';
import { LIMITS } from './limits.ts';
import type { LogRecord, NormalizeContext, NormalizeResult } from './log-record.ts';
import { resolveSeverity } from './severity.ts';
import { commonTimestampText, formatAt, parseTimestamp } from './time.ts';

const TRACE_ID = /^[0-9a-f]{32}$/;
const SPAN_ID = /^[0-9a-f]{16}$/;

/**
 * Pure apart from ctx.newId: normalizeRecordReference's record for an input it accepts, computed
 * without zod; undefined for every input that would be refused or is not of the plain common shape
 * (own "__proto__" keys, bodies that are not strings), which the reference then decides. Only
 * refusals and rare shapes pay for zod.
 */
export function normalizeCommonRecord(raw: unknown, ctx: NormalizeContext): NormalizeResult | undefined {
  if (typeof raw !== 'object' || raw === null || Array.isArray(raw)) return undefined;
  const record = raw as Record<string, unknown>;
  let timestamp: unknown, time: unknown, observed: unknown, service: unknown, level: unknown, severity: unknown;
  let severityText: unknown, severityNumber: unknown, message: unknown, msg: unknown, body: unknown;
  let attributes: unknown, resource: unknown, traceId: unknown, spanId: unknown;
  let extras: Record<string, unknown> | undefined;
  for (const key of Object.keys(record)) {
    const value = record[key];
    switch (key) {
      case 'timestamp':
        timestamp = value;
        break;
      case 'time':
        time = value;
        break;
      case 'observed_timestamp':
        observed = value;
        break;
      case 'service':
        service = value;
        break;
      case 'level':
        level = value;
        break;
      case 'severity':
        severity = value;
        break;
      case 'severity_text':
        severityText = value;
        break;
      case 'severity_number':
        severityNumber = value;
        break;
      case 'message':
        message = value;
        break;
      case 'msg':
        msg = value;
        break;
      case 'body':
        body = value;
        break;
      case 'attributes':
        attributes = value;
        break;
      case 'resource':
        resource = value;
        break;
      case 'trace_id':
        traceId = value;
        break;
      case 'span_id':
        spanId = value;
        break;
      case 'tenant':
      case 'id':
        break;
      // Plain assignment of "__proto__" would set a prototype; the reference keeps it as data.
      case '__proto__':
        return undefined;
      default:
        (extras ??= {})[key] = value;
    }
  }
  // The same type checks as LogRecordInput, each field whether or not it is used.
  if (!isTime(timestamp) || !isTime(time) || !isTime(observed)) return undefined;
  if (service !== undefined && !isText(service, 1, LIMITS.maxServiceLength)) return undefined;
  if (!isLevel(level) || !isLevel(severity)) return undefined;
  if (severityText !== undefined && !isText(severityText, 0, LIMITS.maxSeverityTextLength)) return undefined;
  if (severityNumber !== undefined && !(Number.isInteger(severityNumber) && isBetween(severityNumber as number, 1, 24)))
    return undefined;
  if (!isObject(attributes) || !isObject(resource)) return undefined;
  if (traceId !== undefined && !(typeof traceId === 'string' && TRACE_ID.test(traceId))) return undefined;
  if (spanId !== undefined && !(typeof spanId === 'string' && SPAN_ID.test(spanId))) return undefined;

  const timestampText = timeText((timestamp ?? time) as string | number | undefined, ctx);
  const observedText = timeText(observed as string | number | undefined, ctx);
  if (timestampText === undefined || observedText === undefined) return undefined;

  const bodyIn = message ?? msg ?? body;
  if (typeof bodyIn !== 'string' || bodyIn === '') return undefined;
  const bodyText = toText(bodyIn);
  if (typeof bodyText !== 'string') return undefined;

  const levels = resolveSeverity({
    severity_text: severityText as string | undefined,
    level: level as string | number | undefined,
    severity: severity as string | number | undefined,
    severity_number: severityNumber as number | undefined,
  });
  if ('error' in levels) return undefined;

  // The reference gathers top-level extras and then the attributes object into one map before
  // flattening; gathering the same way keeps the same key order and the same winner on a clash.
  let attributeSource = attributes as Record<string, unknown> | undefined;
  if (extras !== undefined && attributeSource !== undefined) {
    for (const key of Object.keys(attributeSource)) {
      if (key === '__proto__') return undefined;
      extras[key] = attributeSource[key];
    }
  }
  attributeSource = extras ?? attributeSource;
  const attrs: Record<string, string> = {};
  if (attributeSource !== undefined && !flattenInto(attrs, attributeSource, '', 1, { count: 0 })) return undefined;
  const res: Record<string, string> = {};
  if (resource !== undefined && !flattenInto(res, resource as Record<string, unknown>, '', 1, { count: 0 })) {
    return undefined;
  }

  const serviceText = ((service as string | undefined) ?? res['service.name'])?.toWellFormed();
  if (!serviceText || serviceText.length > LIMITS.maxServiceLength) return undefined;

  const stored: LogRecord = {
    id: ctx.newId(),
    tenant: ctx.tenant,
    timestamp: timestampText,
    observed_timestamp: observedText,
    service: serviceText,
    level: levels.level,
    severity_text: levels.text,
    severity_number: levels.number,
    body: bodyText,
    attributes: attrs,
    resource: res,
    trace_id: (traceId as string | undefined) ?? '',
    span_id: (spanId as string | undefined) ?? '',
  };
  return { ok: true, record: stored };
}

const isBetween = (n: number, min: number, max: number) => n >= min && n <= max;
const isText = (v: unknown, min: number, max: number) => typeof v === 'string' && isBetween(v.length, min, max);
const isFiniteNumber = (v: unknown) => typeof v === 'number' && Number.isFinite(v);
const isTime = (v: unknown) => v === undefined || typeof v === 'string' || isFiniteNumber(v);
const isLevel = (v: unknown) => v === undefined || isText(v, 0, LIMITS.maxSeverityTextLength) || isFiniteNumber(v);
const isObject = (v: unknown) => v === undefined || (typeof v === 'object' && v !== null && !Array.isArray(v));

function timeText(value: string | number | undefined, ctx: NormalizeContext): string | undefined {
  if (value === undefined) return formatAt(ctx.receivedNs, ctx);
  const common = commonTimestampText(value);
  if (common !== undefined) return common;
  const ns = parseTimestamp(value);
  return ns === undefined ? undefined : formatAt(ns, ctx);
}

/**
 * flattenAttributes without its problem reports: false wherever it would report one (the reference
 * then names it) or where a flattened key would be "__proto__".
 */
function flattenInto(
  out: Record<string, string>,
  obj: Record<string, unknown>,
  prefix: string,
  depth: number,
  seen: { count: number },
): boolean {
  if (depth > LIMITS.maxDepth) return false;
  for (const key of Object.keys(obj)) {
    const value = obj[key];
    if (value === null || value === undefined) continue;
    if (key.length === 0) return false;
    const path = prefix === '' ? key : `${prefix}.${key}`;
    if (path.length > LIMITS.maxKeyLength || path === '__proto__') return false;
    if (typeof value === 'object' && !Array.isArray(value)) {
      if (!flattenInto(out, value as Record<string, unknown>, path, depth + 1, seen)) return false;
      continue;
    }
    if (++seen.count > LIMITS.maxAttributes) return false;
    const text = toText(value, depth);
    if (typeof text !== 'string') return false;
    out[path.toWellFormed()] = text;
  }
  return true;
}
