/** The attribute that records which Elasticsearch index a shipper wrote to. */
export const INDEX_ATTRIBUTE = 'elasticsearch.index';

// ECS field sets that describe the emitting entity rather than the event: they become resource attributes.
const RESOURCE_ROOTS = new Set(['service', 'host', 'container', 'kubernetes', 'cloud', 'agent']);

/** A record in the collector's input shape (see LogRecordInput), before normalisation. */
export interface MappedRecord {
  timestamp?: unknown;
  service?: unknown;
  level?: unknown;
  message?: unknown;
  trace_id?: unknown;
  span_id?: unknown;
  attributes: Record<string, unknown>;
  resource: Record<string, unknown>;
}

/**
 * Pure: maps an ECS document onto the collector's record input. Dotted keys ("log.level") and
 * nested objects ({log:{level}}) mean the same, as in Elasticsearch. The index names the service
 * when the document does not, and is kept as an attribute.
 */
export function mapEcsDocument(doc: Record<string, unknown>, index: string): MappedRecord {
  const out: MappedRecord = { attributes: {}, resource: {} };
  for (const key of Object.keys(doc)) {
    const value = doc[key];
    if (value === undefined || value === null) continue;
    const dot = key.indexOf('.');
    const root = dot === -1 ? key : key.slice(0, dot);
    const rest = dot === -1 ? undefined : key.slice(dot + 1);
    if (key === '@timestamp') out.timestamp = value;
    else if (key === 'message') out.message = value;
    else if (key === 'log.level') out.level = value;
    else if (key === 'service.name') out.service = value;
    else if (key === 'trace.id') out.trace_id = lowerHex(value);
    else if (key === 'span.id') out.span_id = lowerHex(value);
    else if (
      rest === undefined &&
      isObject(value) &&
      (key === 'log' || key === 'trace' || key === 'span' || key === 'service')
    ) {
      spread(out, key, value);
    } else if (key === 'service' && typeof value === 'string') {
      // Not ECS, but a plain service string is unambiguous.
      out.service ??= value;
    } else if (RESOURCE_ROOTS.has(root)) put(out.resource, key, value);
    else put(out.attributes, key, value);
  }
  out.service ??= index;
  put(out.attributes, INDEX_ATTRIBUTE, index);
  return out;
}

// Takes the mapped member out of an ECS object (log.level, trace.id, span.id, service.name) and keeps its siblings.
function spread(out: MappedRecord, root: string, value: Record<string, unknown>): void {
  const member = root === 'log' ? 'level' : root === 'service' ? 'name' : 'id';
  const siblings: Record<string, unknown> = {};
  for (const key of Object.keys(value)) {
    const v = value[key];
    if (key !== member) put(siblings, key, v);
    else if (root === 'log') out.level = v;
    else if (root === 'service') out.service = v;
    else if (root === 'trace') out.trace_id = lowerHex(v);
    else out.span_id = lowerHex(v);
  }
  if (Object.keys(siblings).length > 0) put(RESOURCE_ROOTS.has(root) ? out.resource : out.attributes, root, siblings);
}

// W3C and ECS ids are hex; some tracers print them upper-case, which the record model refuses.
function lowerHex(value: unknown): unknown {
  return typeof value === 'string' ? value.toLowerCase() : value;
}

// Plain assignment of "__proto__" would set the prototype instead of storing the value.
function put(target: Record<string, unknown>, key: string, value: unknown): void {
  Object.defineProperty(target, key, { value, enumerable: true, writable: true, configurable: true });
}

function isObject(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

const FIELD_NAMES: Record<string, string> = {
  timestamp: '@timestamp',
  message: 'message',
  level: 'log.level',
  service: 'service.name',
  trace_id: 'trace.id',
  span_id: 'span.id',
};

/** Pure: the document field behind a record-model field named in a validation error ("attributes.a.b" → "a.b"). */
export function documentFieldOf(field: string): string {
  const named = FIELD_NAMES[field];
  if (named) return named;
  for (const prefix of ['attributes.', 'resource.']) {
    if (field.startsWith(prefix)) return field.slice(prefix.length);
  }
  return field === '(record)' || field === 'attributes' || field === 'resource' ? '_source' : field;
}
