import { queuedLineService } from '@instant-logs/schema';
import type { RecordChunk } from './queue.ts';
import type { ReuseBuffer } from './reuse-buffer.ts';

/** One Kafka message: NDJSON of stored records of one tenant and service, keyed to keep their order. */
export interface LogMessage {
  key: string;
  value: Buffer;
  rows: number;
}

// Kafka refuses messages over max.message.bytes (1 MiB by default); stay well under it.
export const MAX_MESSAGE_BYTES = 900 * 1024;

// A queued line names its service within its first few hundred bytes (after id, tenant and the timestamps).
const HEAD_BYTES = 512;
const NEWLINE = 10;

/**
 * Pure: splits a chunk into messages keyed by tenant/service, each at most MAX_MESSAGE_BYTES (a lone
 * larger line goes alone), so one service's records land on one partition in order. Lines are
 * copied from the chunk's bytes as they are: neither decoded nor re-serialised. Lines are kept as
 * offsets, not sliced, because a Buffer object per line was the collector's largest allocation.
 */
export function toLogMessages(chunk: RecordChunk): LogMessage[] {
  // Per key: start and end offsets of its lines, flat.
  const byKey = new Map<string, number[]>();
  const data = chunk.data;
  for (let start = 0; start <= data.length;) {
    let end = data.indexOf(NEWLINE, start);
    if (end < 0) end = data.length;
    const key = `${chunk.tenant}/${lineService(data, start, end) ?? ''}`;
    let ranges = byKey.get(key);
    if (!ranges) byKey.set(key, (ranges = []));
    ranges.push(start, end);
    start = end + 1;
  }
  const messages: LogMessage[] = [];
  for (const [key, ranges] of byKey) {
    let first = 0;
    let bytes = 0;
    for (let i = 0; i < ranges.length; i += 2) {
      const lineBytes = ranges[i + 1]! - ranges[i]! + 1;
      if (i > first && bytes + lineBytes > MAX_MESSAGE_BYTES) {
        messages.push(copyLines(key, data, ranges, first, i));
        first = i;
        bytes = 0;
      }
      bytes += lineBytes;
    }
    messages.push(copyLines(key, data, ranges, first, ranges.length));
  }
  return messages;
}

/** The lines at ranges[from..to) (start/end pairs) of data, joined with newlines into one message. */
function copyLines(key: string, data: Buffer, ranges: readonly number[], from: number, to: number): LogMessage {
  let size = -1;
  for (let i = from; i < to; i += 2) size += ranges[i + 1]! - ranges[i]! + 1;
  const value = Buffer.allocUnsafe(size);
  let at = 0;
  for (let i = from; i < to; i += 2) {
    if (at > 0) value[at++] = NEWLINE;
    at += data.copy(value, at, ranges[i]!, ranges[i + 1]!);
  }
  return { key, value, rows: (to - from) / 2 };
}

// Only the line's head is decoded; a service cut off by the head (or named late) falls back to the whole line.
function lineService(data: Buffer, start: number, end: number): string | undefined {
  if (end - start > HEAD_BYTES) {
    const service = queuedLineService(data.toString('utf8', start, start + HEAD_BYTES));
    if (service !== undefined) return service;
  }
  return queuedLineService(data.toString('utf8', start, end));
}

/** Pure: queued lines joined with newlines into one buffer (a lone part is returned as it is, not copied). */
export function joinLines(lines: readonly Buffer[], into?: ReuseBuffer): Buffer {
  if (lines.length === 1) return lines[0]!;
  const length = lines.reduce((n, line) => n + line.length + 1, -1);
  const out = into ? into.take(length) : Buffer.allocUnsafe(length);
  let at = 0;
  for (const line of lines) {
    if (at > 0) out[at++] = NEWLINE;
    at += line.copy(out, at);
  }
  return out;
}
