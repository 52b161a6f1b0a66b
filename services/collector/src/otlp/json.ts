import { OtlpDecodeError } from './error.ts';
import { MAX_NESTING, int64Value, put, toRecordInput, type OtlpLog, type OtlpScope } from './record.ts';

// OTLP/JSON is the proto3 JSON mapping with OTLP's changes: hex trace/span ids, integer enums, int64 as
// number or decimal string, unknown fields ignored. https://opentelemetry.io/docs/specs/otlp/#json-protobuf-encoding
// Like the reference collector, the original snake_case field names are accepted too.

type Obj = Record<string, unknown>;

/** Pure: decodes an OTLP/JSON ExportLogsServiceRequest into collector input objects, one per log record. */
export function decodeJsonLogs(text: string): Obj[] {
  let root: unknown;
  try {
    const json = text.charCodeAt(0) === 0xfeff ? text.slice(1) : text;
    // The reviver makes parsing ~5x slower, so it runs only when an unquoted number has 16+ digits (2^53 has 16).
    root = BIG_NUMBER.test(json) ? JSON.parse(json, keepBigIntegers) : JSON.parse(json);
  } catch (err) {
    throw new OtlpDecodeError(`invalid JSON: ${(err as Error).message}`);
  }
  const request = object(root, '(body)') ?? {};
  const records: Obj[] = [];
  list(pick(request, 'resourceLogs', 'resource_logs'), 'resourceLogs').forEach((rl, i) => {
    const path = `resourceLogs[${i}]`;
    const resourceLogs = object(rl, path) ?? {};
    const resourceObj = object(resourceLogs.resource, `${path}.resource`) ?? {};
    const resource = keyValues(resourceObj.attributes, `${path}.resource.attributes`, 1);
    list(pick(resourceLogs, 'scopeLogs', 'scope_logs'), `${path}.scopeLogs`).forEach((sl, j) => {
      const scopePath = `${path}.scopeLogs[${j}]`;
      const scopeLogs = object(sl, scopePath) ?? {};
      const scope = instrumentationScope(scopeLogs.scope, `${scopePath}.scope`);
      list(pick(scopeLogs, 'logRecords', 'log_records'), `${scopePath}.logRecords`).forEach((lr, k) => {
        records.push(toRecordInput(logRecord(lr, `${scopePath}.logRecords[${k}]`), scope, resource));
      });
    });
  });
  return records;
}

// A false match (digits inside a string) only costs speed.
const BIG_NUMBER = /[:[,]\s*-?\d{16}/;

// JSON.parse rounds integers beyond 2^53; the reviver's source text still has every digit.
function keepBigIntegers(_key: string, value: unknown, context?: { source?: string }): unknown {
  if (typeof value === 'number' && Number.isInteger(value) && !Number.isSafeInteger(value) && context?.source)
    return context.source;
  return value;
}

function instrumentationScope(value: unknown, path: string): OtlpScope {
  const scope = object(value, path) ?? {};
  return { name: string(scope.name, `${path}.name`), version: string(scope.version, `${path}.version`) };
}

function logRecord(value: unknown, path: string): OtlpLog {
  const o = object(value, path) ?? {};
  return {
    timeUnixNano: uint64(pick(o, 'timeUnixNano', 'time_unix_nano'), `${path}.timeUnixNano`),
    observedTimeUnixNano: uint64(
      pick(o, 'observedTimeUnixNano', 'observed_time_unix_nano'),
      `${path}.observedTimeUnixNano`,
    ),
    severityNumber: severityNumber(pick(o, 'severityNumber', 'severity_number'), `${path}.severityNumber`),
    severityText: string(pick(o, 'severityText', 'severity_text'), `${path}.severityText`),
    body: anyValue(o.body, `${path}.body`, 1),
    attributes: keyValues(o.attributes, `${path}.attributes`, 1),
    traceId: string(pick(o, 'traceId', 'trace_id'), `${path}.traceId`).toLowerCase(),
    spanId: string(pick(o, 'spanId', 'span_id'), `${path}.spanId`).toLowerCase(),
    eventName: string(pick(o, 'eventName', 'event_name'), `${path}.eventName`),
  };
}

function keyValues(value: unknown, path: string, depth: number): Obj {
  const out: Obj = {};
  list(value, path).forEach((kv, i) => {
    const o = object(kv, `${path}[${i}]`) ?? {};
    const key = string(o.key, `${path}[${i}].key`);
    const value = anyValue(o.value, `${path}[${i}].value`, depth);
    // An empty AnyValue says nothing; normalizeRecord would drop it anyway.
    if (value !== undefined) put(out, key, value);
  });
  return out;
}

const ANY_VALUE_FIELDS = [
  ['stringValue', 'string_value'],
  ['boolValue', 'bool_value'],
  ['intValue', 'int_value'],
  ['doubleValue', 'double_value'],
  ['arrayValue', 'array_value'],
  ['kvlistValue', 'kvlist_value'],
  ['bytesValue', 'bytes_value'],
] as const;

/** An AnyValue as a JSON-friendly value; `{}` or null → undefined. */
function anyValue(value: unknown, path: string, depth: number): unknown {
  const o = object(value, path);
  if (!o) return undefined;
  if (depth > MAX_NESTING)
    throw new OtlpDecodeError(`${path}: AnyValue nested deeper than ${MAX_NESTING} levels`, { field: path });
  let result: unknown;
  let seen = '';
  for (const [camel, snake] of ANY_VALUE_FIELDS) {
    const v = pick(o, camel, snake);
    if (v === undefined || v === null) continue;
    if (seen)
      throw new OtlpDecodeError(`${path}: sets both ${seen} and ${camel}, but an AnyValue holds one value`, {
        field: path,
      });
    seen = camel;
    result = member(camel, v, `${path}.${camel}`, depth);
  }
  return result;
}

function member(kind: (typeof ANY_VALUE_FIELDS)[number][0], v: unknown, path: string, depth: number): unknown {
  switch (kind) {
    case 'stringValue':
      return string(v, path);
    case 'boolValue':
      if (typeof v !== 'boolean') throw bad(path, 'must be true or false');
      return v;
    case 'intValue':
      return int64Value(int64(v, path, true));
    case 'doubleValue':
      return double(v, path);
    case 'arrayValue':
      return list((object(v, path) ?? {}).values, `${path}.values`).map(
        (item, i) => anyValue(item, `${path}.values[${i}]`, depth + 1) ?? null,
      );
    case 'kvlistValue':
      return keyValues((object(v, path) ?? {}).values, `${path}.values`, depth + 1);
    case 'bytesValue':
      // proto3 JSON allows standard and URL-safe base64; re-encoding gives the same text protobuf bytes get.
      if (typeof v !== 'string' || !/^[A-Za-z0-9+/_-]*={0,2}$/.test(v)) throw bad(path, 'must be a base64 string');
      return Buffer.from(v, 'base64').toString('base64');
  }
}

function pick(o: Obj, camel: string, snake: string): unknown {
  return o[camel] ?? o[snake];
}

function object(v: unknown, path: string): Obj | undefined {
  if (v === undefined || v === null) return undefined;
  if (typeof v !== 'object' || Array.isArray(v)) throw bad(path, 'must be an object');
  return v as Obj;
}

function list(v: unknown, path: string): unknown[] {
  if (v === undefined || v === null) return [];
  if (!Array.isArray(v)) throw bad(path, 'must be an array');
  return v;
}

function string(v: unknown, path: string): string {
  if (v === undefined || v === null) return '';
  if (typeof v !== 'string') throw bad(path, 'must be a string');
  return v;
}

function uint64(v: unknown, path: string): bigint {
  return int64(v, path, false);
}

function int64(v: unknown, path: string, signed: boolean): bigint {
  if (v === undefined || v === null) return 0n;
  const text = typeof v === 'number' && Number.isInteger(v) ? String(v) : v;
  const ok = typeof text === 'string' && (signed ? /^-?\d{1,20}$/ : /^\d{1,20}$/).test(text);
  const n = ok ? BigInt(text) : undefined;
  if (n === undefined || n !== (signed ? BigInt.asIntN(64, n) : BigInt.asUintN(64, n))) {
    throw bad(path, `must be ${signed ? 'a 64-bit' : 'an unsigned 64-bit'} integer (number or decimal string)`);
  }
  return n;
}

function double(v: unknown, path: string): number {
  if (typeof v === 'number') return v;
  // Strings carry NaN/Infinity, and the reviver above turns huge whole numbers such as 1e300 into text.
  const n = typeof v === 'string' && v.trim() !== '' ? Number(v) : Number.NaN;
  if (Number.isNaN(n) && v !== 'NaN') throw bad(path, 'must be a number');
  return n;
}

// SeverityNumber enum names, in number order (logs.proto); senders should send numbers, but proto3 JSON allows names.
const SEVERITY_NAMES = [
  'UNSPECIFIED',
  ...['TRACE', 'DEBUG', 'INFO', 'WARN', 'ERROR', 'FATAL'].flatMap((l) => [l, `${l}2`, `${l}3`, `${l}4`]),
];

function severityNumber(v: unknown, path: string): number {
  if (v === undefined || v === null) return 0;
  if (typeof v === 'number' && Number.isInteger(v)) return v;
  const named = typeof v === 'string' ? SEVERITY_NAMES.indexOf(v.replace(/^SEVERITY_NUMBER_/, '')) : -1;
  if (named >= 0) return named;
  throw bad(path, 'must be an integer 0–24 or a SeverityNumber name');
}

function bad(path: string, message: string): OtlpDecodeError {
  return new OtlpDecodeError(`${path}: ${message}`, { field: path });
}
