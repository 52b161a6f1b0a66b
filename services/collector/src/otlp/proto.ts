import { OtlpDecodeError } from './error.ts';
import { MAX_NESTING, int64Value, put, toRecordInput, type OtlpLog, type OtlpScope } from './record.ts';
import { WireReader } from './wire.ts';

// Field numbers: opentelemetry-proto collector/logs/v1/logs_service.proto, logs/v1/logs.proto,
// common/v1/common.proto and resource/v1/resource.proto (the same ones @opentelemetry/otlp-transformer writes).

/** Pure: decodes a protobuf ExportLogsServiceRequest into collector input objects, one per LogRecord. */
export function decodeProtobufLogs(body: Uint8Array): Record<string, unknown>[] {
  const records: Record<string, unknown>[] = [];
  const r = new WireReader(body);
  while (!r.done()) {
    if (r.next() === 1) resourceLogs(r.message('ExportLogsServiceRequest.resource_logs'), records);
    else r.skip();
  }
  return records;
}

function resourceLogs(r: WireReader, out: Record<string, unknown>[]): void {
  let resource: Record<string, unknown> = {};
  const scopes: WireReader[] = [];
  while (!r.done()) {
    switch (r.next()) {
      case 1:
        resource = resourceAttributes(r.message('ResourceLogs.resource'));
        break;
      case 2:
        scopes.push(r.message('ResourceLogs.scope_logs'));
        break;
      default:
        r.skip(); // 3 schema_url
    }
  }
  // Protobuf fields may arrive in any order, so scopes are read once the resource is known.
  for (const scope of scopes) scopeLogs(scope, resource, out);
}

function resourceAttributes(r: WireReader): Record<string, unknown> {
  const attributes: Record<string, unknown> = {};
  while (!r.done()) {
    if (r.next() === 1) keyValue(r.message('Resource.attributes'), attributes, 1);
    else r.skip(); // 2 dropped_attributes_count, 3 entity_refs
  }
  return attributes;
}

function scopeLogs(r: WireReader, resource: Record<string, unknown>, out: Record<string, unknown>[]): void {
  let scope: OtlpScope = { name: '', version: '' };
  const logs: WireReader[] = [];
  while (!r.done()) {
    switch (r.next()) {
      case 1:
        scope = instrumentationScope(r.message('ScopeLogs.scope'));
        break;
      case 2:
        logs.push(r.message('ScopeLogs.log_records'));
        break;
      default:
        r.skip(); // 3 schema_url
    }
  }
  for (const log of logs) out.push(toRecordInput(logRecord(log), scope, resource));
}

function instrumentationScope(r: WireReader): OtlpScope {
  const scope = { name: '', version: '' };
  while (!r.done()) {
    switch (r.next()) {
      case 1:
        scope.name = r.string('InstrumentationScope.name');
        break;
      case 2:
        scope.version = r.string('InstrumentationScope.version');
        break;
      default:
        r.skip(); // 3 attributes, 4 dropped_attributes_count
    }
  }
  return scope;
}

function logRecord(r: WireReader): OtlpLog {
  const log: OtlpLog = {
    timeUnixNano: 0n,
    observedTimeUnixNano: 0n,
    severityNumber: 0,
    severityText: '',
    body: undefined,
    attributes: {},
    traceId: '',
    spanId: '',
    eventName: '',
  };
  while (!r.done()) {
    switch (r.next()) {
      case 1:
        log.timeUnixNano = r.fixed64('LogRecord.time_unix_nano');
        break;
      case 2:
        log.severityNumber = r.int32('LogRecord.severity_number');
        break;
      case 3:
        log.severityText = r.string('LogRecord.severity_text');
        break;
      case 5:
        log.body = anyValue(r.message('LogRecord.body'), 1);
        break;
      case 6:
        keyValue(r.message('LogRecord.attributes'), log.attributes, 1);
        break;
      case 9:
        log.traceId = r.bytes('LogRecord.trace_id').toString('hex');
        break;
      case 10:
        log.spanId = r.bytes('LogRecord.span_id').toString('hex');
        break;
      case 11:
        log.observedTimeUnixNano = r.fixed64('LogRecord.observed_time_unix_nano');
        break;
      case 12:
        log.eventName = r.string('LogRecord.event_name');
        break;
      default:
        r.skip(); // 4 reserved (was name), 7 dropped_attributes_count, 8 flags
    }
  }
  return log;
}

function keyValue(r: WireReader, target: Record<string, unknown>, depth: number): void {
  let key = '';
  let value: unknown;
  while (!r.done()) {
    switch (r.next()) {
      case 1:
        key = r.string('KeyValue.key');
        break;
      case 2:
        value = anyValue(r.message('KeyValue.value'), depth);
        break;
      default:
        r.skip();
    }
  }
  // An empty AnyValue says nothing; normalizeRecord would drop it anyway.
  if (value !== undefined) put(target, key, value);
}

/** An AnyValue as a JSON-friendly value; the last oneof member wins, as in protobuf; none set → undefined. */
function anyValue(r: WireReader, depth: number): unknown {
  if (depth > MAX_NESTING) {
    throw new OtlpDecodeError(`invalid protobuf: AnyValue nested deeper than ${MAX_NESTING} levels`, {
      field: 'AnyValue',
      position: r.position,
    });
  }
  let value: unknown;
  while (!r.done()) {
    switch (r.next()) {
      case 1:
        value = r.string('AnyValue.string_value');
        break;
      case 2:
        value = r.bool('AnyValue.bool_value');
        break;
      case 3:
        value = int64Value(r.int64('AnyValue.int_value'));
        break;
      case 4:
        value = r.double('AnyValue.double_value');
        break;
      case 5:
        value = arrayValue(r.message('AnyValue.array_value'), depth + 1);
        break;
      case 6:
        value = keyValueList(r.message('AnyValue.kvlist_value'), depth + 1);
        break;
      // Base64, as OTLP/JSON carries bytes, so both encodings yield the same record.
      case 7:
        value = r.bytes('AnyValue.bytes_value').toString('base64');
        break;
      default:
        r.skip();
    }
  }
  return value;
}

function arrayValue(r: WireReader, depth: number): unknown[] {
  const values: unknown[] = [];
  while (!r.done()) {
    if (r.next() === 1) values.push(anyValue(r.message('ArrayValue.values'), depth) ?? null);
    else r.skip();
  }
  return values;
}

function keyValueList(r: WireReader, depth: number): Record<string, unknown> {
  const values: Record<string, unknown> = {};
  while (!r.done()) {
    if (r.next() === 1) keyValue(r.message('KeyValueList.values'), values, depth);
    else r.skip();
  }
  return values;
}
