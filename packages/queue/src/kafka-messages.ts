import type { RecordChunk } from './queue.ts';

/** One Kafka message: NDJSON of stored records of one tenant and service, keyed to keep their order. */
export interface LogMessage {
  key: string;
  value: string;
  rows: number;
}

// Kafka refuses messages over max.message.bytes (1 MiB by default); stay well under it.
export const MAX_MESSAGE_BYTES = 900 * 1024;

/**
 * Pure: splits a chunk into messages keyed by tenant/service, each under MAX_MESSAGE_BYTES, so one
 * service's records land on one partition in order. Lines are taken as they are (no re-serialising).
 */
export function toLogMessages(chunk: RecordChunk): LogMessage[] {
  const byKey = new Map<string, string[]>();
  for (const line of chunk.data.split('\n')) {
    const key = `${chunk.tenant}/${serviceOf(line)}`;
    let lines = byKey.get(key);
    if (!lines) byKey.set(key, (lines = []));
    lines.push(line);
  }
  const messages: LogMessage[] = [];
  for (const [key, lines] of byKey) {
    let current: string[] = [];
    let bytes = 0;
    for (const line of lines) {
      if (current.length > 0 && bytes + line.length + 1 > MAX_MESSAGE_BYTES) {
        messages.push({ key, value: current.join('\n'), rows: current.length });
        current = [];
        bytes = 0;
      }
      current.push(line);
      bytes += line.length + 1;
    }
    if (current.length > 0) messages.push({ key, value: current.join('\n'), rows: current.length });
  }
  return messages;
}

// Stored records are serialised with "service" right after the fixed fields, so a regular
// expression finds it without parsing the whole line.
const SERVICE = /"service":"((?:[^"\\]|\\.)*)"/;

function serviceOf(line: string): string {
  return SERVICE.exec(line)?.[1] ?? '';
}
