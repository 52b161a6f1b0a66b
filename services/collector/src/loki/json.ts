import { KIT_ERRORS } from '@instant-logs/service-kit';
import { COLLECTOR_ERRORS } from '../errors.ts';
import type { PushEntry, PushRequest, PushStream } from './push-request.ts';
import { isLabelName } from './selector.ts';

// Loki's JSON push sends times as strings because epoch nanoseconds overflow a JSON number's precision.
const EPOCH_NS = /^\d{1,19}$/;

/** Pure: decodes a Loki JSON push; only a body that is not {"streams":[…]} fails as a whole (400). */
export function decodePushJson(text: string): PushRequest {
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch (err) {
    throw KIT_ERRORS.INVALID_JSON({ reason: (err as Error).message });
  }
  if (!isObject(value) || !Array.isArray(value.streams)) {
    throw COLLECTOR_ERRORS.INVALID_PUSH({ field: 'streams' });
  }
  return { entriesKey: 'values', streams: value.streams.map(decodeStream) };
}

function decodeStream(stream: unknown): PushStream {
  if (!isObject(stream))
    return { error: { field: '(stream)', message: 'must be an object with "stream" and "values"' }, entries: [] };
  if (!Array.isArray(stream.values))
    return {
      error: { field: 'values', message: 'must be an array of ["<unix epoch ns>", "<line>"] entries' },
      entries: [],
    };
  const entries = stream.values.map(decodeEntry);
  const labels = stream.stream ?? {};
  if (!isObject(labels))
    return { error: { field: 'stream', message: 'must be an object of label names to string values' }, entries };
  for (const [name, v] of Object.entries(labels)) {
    if (!isLabelName(name))
      return {
        error: { field: 'stream', message: `label name ${JSON.stringify(name)} must match [A-Za-z_][A-Za-z0-9_]*` },
        entries,
      };
    if (typeof v !== 'string')
      return { error: { field: `stream.${name}`, message: 'label values must be strings' }, entries };
  }
  return { labels: labels as Record<string, string>, entries };
}

function decodeEntry(value: unknown): PushEntry {
  if (!Array.isArray(value) || value.length < 2 || value.length > 3) {
    return {
      error: {
        field: '(entry)',
        message: 'must be ["<unix epoch ns>", "<line>"], optionally with a third element of structured metadata',
      },
    };
  }
  const [ts, line, metadata = {}] = value as [unknown, unknown, unknown];
  if (typeof ts !== 'string' || !EPOCH_NS.test(ts)) {
    return { error: { field: 'timestamp', message: `must be a string of Unix epoch nanoseconds, got ${preview(ts)}` } };
  }
  if (typeof line !== 'string') return { error: { field: 'line', message: 'must be a string' } };
  if (!isObject(metadata))
    return { error: { field: 'structured_metadata', message: 'must be an object of names to string values' } };
  return { timestampNs: BigInt(ts), line, metadata };
}

function isObject(v: unknown): v is Record<string, unknown> {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}

function preview(v: unknown): string {
  const text = JSON.stringify(v) ?? String(v);
  return text.length > 40 ? `${text.slice(0, 40)}…` : text;
}
