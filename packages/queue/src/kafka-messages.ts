import { queuedLineService } from '@instant-logs/schema';
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
 * Pure: splits a chunk into messages keyed by tenant/service, each at most MAX_MESSAGE_BYTES of UTF-8
 * (a lone larger line goes alone), so one service's records land on one partition in order. Lines
 * are taken as they are (no re-serialising).
 */
export function toLogMessages(chunk: RecordChunk): LogMessage[] {
  const byKey = new Map<string, string[]>();
  for (const line of chunk.data.split('\n')) {
    const key = `${chunk.tenant}/${queuedLineService(line) ?? ''}`;
    let lines = byKey.get(key);
    if (!lines) byKey.set(key, (lines = []));
    lines.push(line);
  }
  const messages: LogMessage[] = [];
  for (const [key, lines] of byKey) {
    let current: string[] = [];
    let bytes = 0;
    for (const line of lines) {
      // Kafka's limit is in bytes: a CJK character is one UTF-16 unit but three bytes.
      const lineBytes = Buffer.byteLength(line) + 1;
      if (current.length > 0 && bytes + lineBytes > MAX_MESSAGE_BYTES) {
        messages.push({ key, value: current.join('\n'), rows: current.length });
        current = [];
        bytes = 0;
      }
      current.push(line);
      bytes += lineBytes;
    }
    if (current.length > 0) messages.push({ key, value: current.join('\n'), rows: current.length });
  }
  return messages;
}
