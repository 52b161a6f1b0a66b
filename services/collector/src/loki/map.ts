import { formatTimestamp, levelFromText, type RecordError } from '@instant-logs/schema';
import type { DecodedItem } from '../decode-body.ts';
import type { PushEntry, PushRequest } from './push-request.ts';

// Loki's own fallback order when it discovers service_name, cut to the labels shippers commonly set.
const SERVICE_LABELS = ['service_name', 'service', 'app', 'job', 'container'];
const UNKNOWN_SERVICE = 'unknown_service';
// Structured metadata is per entry, so it says more about a line's level than the stream's labels do.
const LEVEL_KEYS = ['level', 'detected_level', 'severity'];
// The OpenTelemetry severity number of INFO: an unrecognised level is kept as text and counted as info, as Loki never refuses a line for its level.
const INFO_SEVERITY = 9;
// 19 digits of nanoseconds reach the year 2286; later times cannot be formatted as RFC 3339 dates here.
const MAX_NS = 10n ** 19n;

/** Pure: one Loki entry with its stream's labels, as the LogRecord input the collector normalises. */
export function toRecordInput(
  labels: Record<string, string>,
  entry: Extract<PushEntry, { line: string }>,
): Record<string, unknown> {
  const record: Record<string, unknown> = {
    timestamp: formatTimestamp(entry.timestampNs),
    service: serviceOf(labels),
    body: entry.line,
    attributes: entry.metadata,
    resource: labels,
  };
  const level = levelOf(entry.metadata, labels);
  if (level !== undefined && levelFromText(level)) record.level = level;
  else if (level !== undefined) Object.assign(record, { severity_text: level, severity_number: INFO_SEVERITY });
  return record;
}

/** Pure: the service a stream belongs to, from the first of Loki's service labels that is set. */
export function serviceOf(labels: Record<string, string>): string {
  for (const name of SERVICE_LABELS) {
    const value = labels[name];
    if (Object.hasOwn(labels, name) && value) return value;
  }
  return UNKNOWN_SERVICE;
}

function levelOf(metadata: Record<string, unknown>, labels: Record<string, string>): string | undefined {
  for (const source of [metadata, labels]) {
    for (const key of LEVEL_KEYS) {
      const value = Object.hasOwn(source, key) ? source[key] : undefined;
      if (typeof value === 'string' && value !== '') return value;
    }
  }
  return undefined;
}

/** Every entry of a push as a decoded item, with the name of the entry each came from (e.g. `streams[1].values[0]`). */
export interface MappedPush {
  items: DecodedItem[];
  where: string[];
}

/** Pure: flattens a decoded push into one item per entry; bad labels reject their own stream's entries only. */
export function mapPush(push: PushRequest): MappedPush {
  const items: DecodedItem[] = [];
  const where: string[] = [];
  push.streams.forEach((stream, s) => {
    if ('error' in stream && stream.entries.length === 0) {
      items.push({ error: stream.error });
      where.push(`streams[${s}]`);
    }
    stream.entries.forEach((entry, e) => {
      where.push(`streams[${s}].${push.entriesKey}[${e}]`);
      if ('error' in stream) items.push({ error: stream.error });
      else if ('error' in entry) items.push(entry);
      else if (entry.line === '') items.push({ error: { field: 'line', message: 'must not be empty' } });
      else if (entry.timestampNs >= MAX_NS)
        items.push({ error: { field: 'timestamp', message: 'is after the year 2286; send Unix epoch nanoseconds' } });
      else items.push({ record: toRecordInput(stream.labels, entry) });
    });
  });
  return { items, where };
}

// Record errors name LogRecord fields; a Loki sender knows them as labels, structured metadata and lines.
const FIELD_NAMES: Array<[string, string]> = [
  ['attributes', 'structured_metadata'],
  ['resource', 'labels'],
  ['service', 'labels'],
  ['message', 'line'],
];

/** Pure: the plain-text answer naming rejected entries, e.g. "2 of 5 entries rejected: streams[0].values[1] timestamp: …". */
export function describeRejections(total: number, rejected: number, errors: RecordError[], where: string[]): string {
  const listed = errors
    .slice(0, 10)
    .map((e) => `${where[e.index] ?? `entry ${e.index}`} ${lokiField(e.field)}: ${e.message}`);
  const more = rejected > listed.length ? `; and ${rejected - listed.length} more` : '';
  return `${rejected} of ${total} entries rejected: ${listed.join('; ')}${more}`;
}

function lokiField(field: string): string {
  for (const [ours, theirs] of FIELD_NAMES) {
    if (field === ours || field.startsWith(`${ours}.`)) return theirs + field.slice(ours.length);
  }
  return field;
}
