import { queuedLineService } from '@instant-logs/schema';
import type { RecordChunk, ServiceRun } from './queue.ts';
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
 * copied from the chunk's bytes as they are: neither decoded nor re-serialised. A chunk that comes with
 * its service runs is cut along them, a run that fits in one message not even copied; otherwise each
 * line's service is read from its head. Lines are kept as offsets, not sliced, because a Buffer object
 * per line was the collector's largest allocation.
 */
export function toLogMessages(chunk: RecordChunk): LogMessage[] {
  if (chunk.services && runsCover(chunk.services, chunk.data.length)) return fromRuns(chunk, chunk.services);
  // Per key: start and end offsets of its lines, flat.
  const byKey = new Map<string, number[]>();
  const data = chunk.data;
  for (let start = 0; start <= data.length;) {
    const end = lineEnd(data, start);
    const key = `${chunk.tenant}/${lineService(data, start, end) ?? ''}`;
    let ranges = byKey.get(key);
    if (!ranges) byKey.set(key, (ranges = []));
    ranges.push(start, end);
    start = end + 1;
  }
  const messages: LogMessage[] = [];
  for (const [key, ranges] of byKey) packLines(key, data, ranges, messages);
  return messages;
}

/**
 * Pure: lines and their services (parallel arrays) as one buffer with each service's lines together, in
 * the order the services first appear and each service's lines in their own order, and the runs that say
 * where each service's lines end (RecordChunk.services).
 */
export function groupLinesByService(
  lines: readonly string[],
  services: readonly string[],
): { data: Buffer; runs: ServiceRun[] } {
  const groups = new Map<string, string[]>();
  for (let i = 0; i < lines.length; i++) {
    const group = groups.get(services[i]!);
    if (group) group.push(lines[i]!);
    else groups.set(services[i]!, [lines[i]!]);
  }
  const texts: string[] = [];
  const runs: ServiceRun[] = [];
  let end = -1;
  for (const [service, group] of groups) {
    const text = group.join('\n');
    end += 1 + Buffer.byteLength(text);
    texts.push(text);
    runs.push({ service, end, rows: group.length });
  }
  // Each group's text is encoded straight into place: joining the groups first would copy every line once more.
  const data = Buffer.allocUnsafe(Math.max(0, end));
  let at = 0;
  for (const [i, text] of texts.entries()) {
    if (i > 0) data[at++] = NEWLINE;
    at += data.write(text, at);
  }
  return { data, runs };
}

/** Pure: values given per line (parallel to `services`) in the order groupLinesByService puts those lines. */
export function groupedByService<T>(values: readonly T[], services: readonly string[]): T[] {
  const groups = new Map<string, T[]>();
  for (let i = 0; i < values.length; i++) {
    const group = groups.get(services[i]!);
    if (group) group.push(values[i]!);
    else groups.set(services[i]!, [values[i]!]);
  }
  return [...groups.values()].flat();
}

function fromRuns(chunk: RecordChunk, runs: readonly ServiceRun[]): LogMessage[] {
  const messages: LogMessage[] = [];
  let start = 0;
  for (const run of runs) {
    const key = `${chunk.tenant}/${run.service}`;
    if (run.end - start <= MAX_MESSAGE_BYTES) {
      messages.push({ key, value: chunk.data.subarray(start, run.end), rows: run.rows });
    } else {
      const ranges: number[] = [];
      for (let at = start; at <= run.end;) {
        const end = Math.min(lineEnd(chunk.data, at), run.end);
        ranges.push(at, end);
        at = end + 1;
      }
      packLines(key, chunk.data, ranges, messages);
    }
    start = run.end + 1;
  }
  return messages;
}

// Runs from another version or a bug must not cut lines apart: they have to end exactly at the data's end.
function runsCover(runs: readonly ServiceRun[], length: number): boolean {
  let at = -1;
  for (const run of runs) {
    if (run.end <= at || run.rows < 1) return false;
    at = run.end;
  }
  return runs.length > 0 && at === length;
}

function lineEnd(data: Buffer, start: number): number {
  const end = data.indexOf(NEWLINE, start);
  return end < 0 ? data.length : end;
}

/** Messages of at most MAX_MESSAGE_BYTES from the lines at `ranges` (start/end pairs) of data. */
function packLines(key: string, data: Buffer, ranges: readonly number[], into: LogMessage[]): void {
  let first = 0;
  let bytes = 0;
  for (let i = 0; i < ranges.length; i += 2) {
    const lineBytes = ranges[i + 1]! - ranges[i]! + 1;
    if (i > first && bytes + lineBytes > MAX_MESSAGE_BYTES) {
      into.push(copyLines(key, data, ranges, first, i));
      first = i;
      bytes = 0;
    }
    bytes += lineBytes;
  }
  into.push(copyLines(key, data, ranges, first, ranges.length));
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
  for (let i = 0; i < lines.length; i++) {
    // By index, not by bytes written: an empty first line still gets its newline.
    if (i > 0) out[at++] = NEWLINE;
    at += lines[i]!.copy(out, at);
  }
  return out;
}
