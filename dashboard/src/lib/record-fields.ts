import type { LogRecord } from '@instant-logs/schema';

/** One line of the expanded row: what it shows, and the query field that filters by it (if any). */
export interface RecordField {
  label: string;
  value: string;
  /** The field name in the search syntax; absent for values no query can match. */
  queryField?: string;
}

/** Pure: every field of a record in display order: the top-level ones, then attributes, then resource. */
export function recordFields(record: LogRecord): RecordField[] {
  const fields: RecordField[] = [
    { label: 'timestamp', value: record.timestamp },
    { label: 'service', value: record.service, queryField: 'service' },
    { label: 'level', value: record.level, queryField: 'level' },
    { label: 'severity', value: `${record.severity_text} (${record.severity_number})` },
    { label: 'message', value: record.body },
  ];
  if (record.trace_id) fields.push({ label: 'trace_id', value: record.trace_id, queryField: 'trace_id' });
  if (record.span_id) fields.push({ label: 'span_id', value: record.span_id, queryField: 'span_id' });
  for (const key of Object.keys(record.attributes).sort()) {
    fields.push({ label: key, value: record.attributes[key]!, queryField: `attributes.${key}` });
  }
  for (const key of Object.keys(record.resource).sort()) {
    fields.push({ label: `resource.${key}`, value: record.resource[key]!, queryField: `resource.${key}` });
  }
  fields.push({ label: 'id', value: record.id });
  return fields;
}

/**
 * Pure: the attribute keys worth a facet for these records: the most common ones whose values
 * repeat (an id that differs on every record makes a useless facet).
 */
export function commonAttributeKeys(records: readonly LogRecord[], max = 6): string[] {
  const values = new Map<string, Map<string, number>>();
  for (const r of records) {
    for (const [k, v] of [...Object.entries(r.attributes), ...Object.entries(r.resource)]) {
      let counts = values.get(k);
      if (!counts) values.set(k, (counts = new Map()));
      counts.set(v, (counts.get(v) ?? 0) + 1);
    }
  }
  const scored = [...values].map(([key, counts]) => {
    const seen = [...counts.values()].reduce((a, b) => a + b, 0);
    return { key, seen, repeats: counts.size <= Math.max(1, seen / 2) };
  });
  return scored
    .filter((s) => s.repeats && s.key !== 'service.name')
    .sort((a, b) => b.seen - a.seen || a.key.localeCompare(b.key))
    .slice(0, max)
    .map((s) => s.key);
}
