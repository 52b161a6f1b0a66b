import type { LogRecord } from '@instant-logs/schema';

/**
 * A results column: a fixed field (`time`, `level`, `service`, `message`, `trace_id`, `span_id`) or
 * one key of a record's maps, `attributes.http.status_code` or `resource.k8s.pod.name`.
 */
export type ColumnId = string;

export const DEFAULT_COLUMNS: readonly ColumnId[] = Object.freeze(['time', 'level', 'service', 'message']);
const FIXED = new Set(['time', 'level', 'service', 'message', 'trace_id', 'span_id']);
const MAP_PREFIXES = ['attributes.', 'resource.'] as const;

/** Pure: whether `id` names a column (a fixed field, or a non-empty attribute or resource key). */
export function isColumnId(id: string): boolean {
  return FIXED.has(id) || MAP_PREFIXES.some((p) => id.startsWith(p) && id.length > p.length);
}

/** Pure: the text a record shows in a column; '' when it has no such field. */
export function cellText(record: LogRecord, id: ColumnId): string {
  switch (id) {
    case 'time':
      return record.timestamp;
    case 'level':
      return record.level;
    case 'service':
      return record.service;
    case 'message':
      return record.body;
    case 'trace_id':
      return record.trace_id;
    case 'span_id':
      return record.span_id;
  }
  if (id.startsWith('attributes.')) return record.attributes[id.slice('attributes.'.length)] ?? '';
  if (id.startsWith('resource.')) return record.resource[id.slice('resource.'.length)] ?? '';
  return '';
}

/** Pure: the header of a column: map keys without their map's name, unless both maps have the key. */
export function columnLabel(id: ColumnId, columns: readonly ColumnId[] = []): string {
  const prefix = MAP_PREFIXES.find((p) => id.startsWith(p));
  if (!prefix) return id === 'time' ? 'Time' : id === 'message' ? 'Message' : id.replace(/^./, (c) => c.toUpperCase());
  const key = id.slice(prefix.length);
  const other = prefix === 'attributes.' ? `resource.${key}` : `attributes.${key}`;
  return columns.includes(other) ? id : key;
}

/** Pure: the columns a chooser offers for these records: the fixed ones, then every key they carry. */
export function columnChoices(records: readonly LogRecord[], shown: readonly ColumnId[]): ColumnId[] {
  const keys = new Set<string>();
  for (const r of records) {
    for (const k of Object.keys(r.attributes)) keys.add(`attributes.${k}`);
    for (const k of Object.keys(r.resource)) keys.add(`resource.${k}`);
  }
  return [...FIXED, ...[...keys].sort()].filter((id) => !shown.includes(id));
}

/** Pure: `columns` with `id` added at the end (once). */
export function addColumn(columns: readonly ColumnId[], id: ColumnId): ColumnId[] {
  return columns.includes(id) || !isColumnId(id) ? [...columns] : [...columns, id];
}

/** Pure: `columns` without `id`; the last column stays, so the table never has none. */
export function removeColumn(columns: readonly ColumnId[], id: ColumnId): ColumnId[] {
  const next = columns.filter((c) => c !== id);
  return next.length === 0 ? [...columns] : next;
}

/** Pure: `columns` with `id` moved `by` places (negative: left), stopping at either end. */
export function moveColumn(columns: readonly ColumnId[], id: ColumnId, by: number): ColumnId[] {
  const from = columns.indexOf(id);
  if (from < 0) return [...columns];
  const to = Math.max(0, Math.min(columns.length - 1, from + by));
  const next = columns.filter((c) => c !== id);
  next.splice(to, 0, id);
  return next;
}

const WIDTHS: Record<string, string> = {
  time: '200px',
  level: '64px',
  service: '130px',
  message: 'minmax(240px, 1fr)',
};

/** Pure: the CSS grid columns for a header and its rows; the message takes what is left. */
export function gridTemplate(columns: readonly ColumnId[]): string {
  const template = columns.map((c) => WIDTHS[c] ?? 'minmax(80px, 160px)');
  // Without a message column the last column stretches, so rows still fill the width.
  if (!columns.includes('message')) template[template.length - 1] = 'minmax(80px, 1fr)';
  return template.join(' ');
}
