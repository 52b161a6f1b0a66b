import { randomUUID } from 'node:crypto';
import { open, readFile, rename } from 'node:fs/promises';
import { join } from 'node:path';
import { crc32 } from 'node:zlib';

// One entry on disk: [u32 payload length][u32 CRC32 of the length bytes and the payload][payload],
// little-endian. The checksum covers the length too, so a torn or flipped length is caught before
// it is trusted to find the next entry.
export const ENTRY_HEADER_BYTES = 8;
// Far above any request the collector takes (6 MB bodies); a larger length is corruption.
export const MAX_ENTRY_BYTES = 256 * 1024 * 1024;

const SEGMENT = /^(\d{20})\.seg$/;
const CURSOR = 'cursor.json';

/** Pure: the framed bytes of one entry. */
export function frameEntry(payload: Buffer): Buffer {
  const frame = Buffer.allocUnsafe(ENTRY_HEADER_BYTES + payload.length);
  frame.writeUInt32LE(payload.length, 0);
  frame.writeUInt32LE(crc32(payload, crc32(frame.subarray(0, 4))), 4);
  payload.copy(frame, ENTRY_HEADER_BYTES);
  return frame;
}

/** One entry found in a segment: where it starts in the file and its payload. */
export interface ParsedEntry {
  offset: number;
  payload: Buffer;
}

/**
 * Pure: the whole entries in `bytes` (read from file offset `base`), stopping at the first one that
 * is cut off (`torn`) or fails its checksum (`corrupt`); `validBytes` is where the good ones end.
 */
export function parseEntries(bytes: Buffer, base = 0): { entries: ParsedEntry[]; validBytes: number; problem?: 'torn' | 'corrupt' } {
  const entries: ParsedEntry[] = [];
  let at = 0;
  while (at < bytes.length) {
    if (bytes.length - at < ENTRY_HEADER_BYTES) return { entries, validBytes: at, problem: 'torn' };
    const length = bytes.readUInt32LE(at);
    if (length > MAX_ENTRY_BYTES) return { entries, validBytes: at, problem: 'corrupt' };
    const end = at + ENTRY_HEADER_BYTES + length;
    if (end > bytes.length) return { entries, validBytes: at, problem: 'torn' };
    const payload = bytes.subarray(at + ENTRY_HEADER_BYTES, end);
    if (crc32(payload, crc32(bytes.subarray(at, at + 4))) !== bytes.readUInt32LE(at + 4)) return { entries, validBytes: at, problem: 'corrupt' };
    entries.push({ offset: base + at, payload });
    at = end;
  }
  return { entries, validBytes: at };
}

/** Pure: the file name of the segment whose first entry sits at log position `base`. */
export function segmentName(base: bigint): string {
  return `${base.toString().padStart(20, '0')}.seg`;
}

/** Pure: the base position a segment file name stands for, or undefined for other files. */
export function segmentBase(name: string): bigint | undefined {
  const m = SEGMENT.exec(name);
  return m ? BigInt(m[1]!) : undefined;
}

/** What the reader has stored: entries before `position` are in the store; `metadata` is its note on the batch in progress. */
export interface Cursor {
  /** Names this log in deduplication tokens, so a log made afresh never repeats an old log's tokens. */
  id: string;
  position: bigint;
  metadata: string | null;
}

/** Reads the cursor, or a new one (fresh id) when the log has none yet. */
export async function readCursor(dir: string, firstPosition: bigint): Promise<{ cursor: Cursor; fresh: boolean }> {
  let text: string;
  try {
    text = await readFile(join(dir, CURSOR), 'utf8');
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code !== 'ENOENT') throw err;
    return { cursor: { id: randomUUID(), position: firstPosition, metadata: null }, fresh: true };
  }
  const raw = JSON.parse(text) as { id: string; position: string; metadata: string | null };
  return { cursor: { id: raw.id, position: BigInt(raw.position), metadata: raw.metadata }, fresh: false };
}

/** Replaces the cursor atomically and durably: a crash leaves the old one or the new one, never a mix. */
export async function writeCursor(dir: string, cursor: Cursor): Promise<void> {
  const tmp = join(dir, `${CURSOR}.tmp`);
  const file = await open(tmp, 'w');
  try {
    await file.writeFile(JSON.stringify({ id: cursor.id, position: cursor.position.toString(), metadata: cursor.metadata }));
    await file.datasync();
  } finally {
    await file.close();
  }
  await rename(tmp, join(dir, CURSOR));
  await syncDir(dir);
}

/** Makes the directory's entries (files created, renamed) durable; fsync of a file alone does not. */
export async function syncDir(dir: string): Promise<void> {
  const handle = await open(dir, 'r');
  try {
    await handle.sync();
  } finally {
    await handle.close();
  }
}
