import { randomUUID } from 'node:crypto';
import { mkdir, open, type FileHandle } from 'node:fs/promises';
import { join } from 'node:path';
import { crc32 } from 'node:zlib';

// One entry on disk: [u32 payload length][u32 CRC32 of the length bytes and the payload][payload],
// little-endian. The checksum covers the length too, so a torn or flipped length is caught before
// it is trusted to find the next entry.
export const ENTRY_HEADER_BYTES = 8;
// Far above any request the collector takes (6 MB bodies); a larger length is corruption.
export const MAX_ENTRY_BYTES = 256 * 1024 * 1024;
// The length's top bit marks a hole: a damaged stretch overwritten when the log is opened. It keeps
// its bytes, so the entries after it keep their positions, which deduplication tokens are made of.
const HOLE = 0x8000_0000;

const SEGMENT = /^(\d{20})\.seg$/;
const CURSOR = 'cursor';
const DAMAGED = 'damaged';

/** Pure: the framed bytes of one entry. */
export function frameEntry(payload: Buffer): Buffer {
  return Buffer.concat([entryHeader([payload]), payload]);
}

/**
 * Pure: the header of an entry whose payload is `parts` one after the other, so the parts can be
 * written as they are, without first being copied into one buffer.
 */
export function entryHeader(parts: readonly Buffer[], flags = 0): Buffer {
  const header = Buffer.allocUnsafe(ENTRY_HEADER_BYTES);
  header.writeUInt32LE((parts.reduce((n, p) => n + p.length, 0) | flags) >>> 0, 0);
  let crc = crc32(header.subarray(0, 4));
  for (const part of parts) crc = crc32(part, crc);
  header.writeUInt32LE(crc, 4);
  return header;
}

/** One entry found in a segment: where it starts in the file and its payload (zeros for a hole). */
export interface ParsedEntry {
  offset: number;
  payload: Buffer;
  hole?: true;
}

/**
 * Pure: the sizes of the holes that fill a damaged stretch of `bytes` (at least ENTRY_HEADER_BYTES), each at most
 * `max` (an entry's largest frame) and none shorter than a header: a stretch longer than one entry may hold is
 * filled by several.
 */
export function holeSizes(bytes: number, max = ENTRY_HEADER_BYTES + MAX_ENTRY_BYTES): number[] {
  const sizes: number[] = [];
  for (let left = bytes; left > 0;) {
    const size = left <= max ? left : Math.min(max, left - ENTRY_HEADER_BYTES);
    sizes.push(size);
    left -= size;
  }
  return sizes;
}

/** Pure: a hole of `bytes` (at least ENTRY_HEADER_BYTES) as framed on disk: a valid entry of zeros, flagged. */
export function holeFrame(bytes: number): Buffer {
  const zeros = Buffer.alloc(bytes - ENTRY_HEADER_BYTES);
  return Buffer.concat([entryHeader([zeros], HOLE), zeros]);
}

/**
 * Pure: the whole entries in `bytes` (read from file offset `base`), stopping at the first one that
 * is cut off (`torn`) or fails its checksum (`corrupt`); `validBytes` is where the good ones end.
 */
export function parseEntries(
  bytes: Buffer,
  base = 0,
): { entries: ParsedEntry[]; validBytes: number; problem?: 'torn' | 'corrupt' } {
  const entries: ParsedEntry[] = [];
  let at = 0;
  while (at < bytes.length) {
    const entry = entryAt(bytes, at);
    if ('problem' in entry) return { entries, validBytes: at, problem: entry.problem };
    const payload = bytes.subarray(at + ENTRY_HEADER_BYTES, entry.end);
    entries.push(entry.hole ? { offset: base + at, payload, hole: true } : { offset: base + at, payload });
    at = entry.end;
  }
  return { entries, validBytes: at };
}

/** Pure: the whole entry starting at `at` (where it ends, whether it is a hole), or why there is none. */
function entryAt(bytes: Buffer, at: number): { end: number; hole: boolean } | { problem: 'torn' | 'corrupt' } {
  if (bytes.length - at < ENTRY_HEADER_BYTES) return { problem: 'torn' };
  const word = bytes.readUInt32LE(at);
  const length = (word & ~HOLE) >>> 0;
  // Text, which payloads are, never reads as a length this small: a scan for the next entry checksums headers only.
  if (length > MAX_ENTRY_BYTES) return { problem: 'corrupt' };
  const end = at + ENTRY_HEADER_BYTES + length;
  if (end > bytes.length) return { problem: 'torn' };
  const payload = bytes.subarray(at + ENTRY_HEADER_BYTES, end);
  if (crc32(payload, crc32(bytes.subarray(at, at + 4))) !== bytes.readUInt32LE(at + 4)) return { problem: 'corrupt' };
  return { end, hole: (word & HOLE) !== 0 };
}

/** Pure: the first offset at or after `from` where a whole entry with a matching checksum starts. */
function nextEntryAt(bytes: Buffer, from: number): number | undefined {
  for (let at = from; at + ENTRY_HEADER_BYTES <= bytes.length; at++) if ('end' in entryAt(bytes, at)) return at;
  return undefined;
}

/** A segment read whole on opening: its entries, the damaged stretches between them, and where the good part ends. */
export interface SegmentScan {
  entries: ParsedEntry[];
  /** Stretches [at, end) that hold no whole entry while whole entries follow them: damage, not a crash's tear. */
  damaged: { at: number; end: number }[];
  validBytes: number;
  /** Why the bytes after validBytes are not entries: a write cut short, or damage. */
  problem?: 'torn' | 'corrupt';
}

/**
 * Pure: every whole entry of a segment. A stretch that fails its checks is skipped when a whole entry
 * follows it (a crash only ever tears the end, so this is damage to entries already written, and the
 * ones after it are as good as before); without one it is the segment's tail.
 */
export function scanSegment(bytes: Buffer): SegmentScan {
  const entries: ParsedEntry[] = [];
  const damaged: SegmentScan['damaged'] = [];
  for (let at = 0; ;) {
    const part = parseEntries(bytes.subarray(at), at);
    entries.push(...part.entries);
    const stop = at + part.validBytes;
    if (!part.problem) return { entries, damaged, validBytes: stop };
    // An entry takes at least its header, so the next one cannot start sooner.
    const next = nextEntryAt(bytes, stop + ENTRY_HEADER_BYTES);
    if (next === undefined) return { entries, damaged, validBytes: stop, problem: part.problem };
    damaged.push({ at: stop, end: next });
    at = next;
  }
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

/** The cursor's file, kept open: `write` replaces the cursor durably. */
export interface CursorFile {
  cursor: Cursor;
  write(cursor: Cursor): Promise<void>;
  close(): Promise<void>;
}

// Two fixed slots written in turn, in place, each a checksummed entry with a sequence number: a torn
// write spoils only the slot being written (the other still holds the previous cursor), and a commit
// needs no new disk blocks, so it still works when appends fail for a full disk, and deleting the
// stored segments behind it frees space again.
const SLOT_BYTES = 4096;

/** Opens the cursor file, creating it (fresh id, at `firstPosition`) when the log has none yet. */
export async function openCursorFile(dir: string, firstPosition: bigint): Promise<CursorFile> {
  const path = join(dir, CURSOR);
  let file: FileHandle;
  try {
    file = await open(path, 'r+');
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code !== 'ENOENT') throw err;
    file = await open(path, 'w+');
    const cursor = { id: randomUUID(), position: firstPosition, metadata: null };
    await file.write(Buffer.concat([slot(cursor, 0), slot(cursor, 1)]), 0, 2 * SLOT_BYTES, 0);
    await file.sync();
    await syncDir(dir);
    return cursorFile(file, cursor, 1);
  }
  const bytes = Buffer.alloc(2 * SLOT_BYTES);
  await file.read(bytes, 0, bytes.length, 0);
  const slots = [0, 1].flatMap((i) => {
    const [entry] = parseEntries(bytes.subarray(i * SLOT_BYTES, (i + 1) * SLOT_BYTES)).entries;
    return entry
      ? [JSON.parse(entry.payload.toString()) as { seq: number; id: string; position: string; metadata: string | null }]
      : [];
  });
  const newest = slots.sort((a, b) => b.seq - a.seq)[0];
  if (!newest) {
    await file.close();
    throw new Error(`Cannot open the log: both slots of ${path} are damaged`);
  }
  return cursorFile(file, { id: newest.id, position: BigInt(newest.position), metadata: newest.metadata }, newest.seq);
}

function cursorFile(file: FileHandle, current: Cursor, lastSeq: number): CursorFile {
  let seq = lastSeq;
  return {
    cursor: current,
    async write(cursor) {
      seq++;
      await file.write(slot(cursor, seq), 0, SLOT_BYTES, (seq % 2) * SLOT_BYTES);
      await file.datasync();
    },
    close: () => file.close(),
  };
}

function slot(cursor: Cursor, seq: number): Buffer {
  const json = JSON.stringify({ seq, id: cursor.id, position: cursor.position.toString(), metadata: cursor.metadata });
  const frame = frameEntry(Buffer.from(json));
  if (frame.length > SLOT_BYTES)
    throw new Error(`Cannot write the log cursor: ${frame.length} bytes do not fit a slot`);
  return Buffer.concat([frame, Buffer.alloc(SLOT_BYTES - frame.length)]);
}

/**
 * Copies a damaged stretch of segment `base` (at byte `at`) to the log's `damaged/` directory, durably,
 * before the segment is repaired, so what the disk spoiled can still be looked at; returns the copy's path.
 * The name depends only on where the stretch was, so opening again after a crash writes the same file.
 */
export async function saveDamaged(dir: string, base: bigint, at: number, bytes: Buffer): Promise<string> {
  const damagedDir = join(dir, DAMAGED);
  await mkdir(damagedDir, { recursive: true });
  const path = join(damagedDir, `${segmentName(base)}.${at}`);
  const handle = await open(path, 'w');
  try {
    await handle.writeFile(bytes);
    await handle.sync();
  } finally {
    await handle.close();
  }
  await syncDir(damagedDir);
  await syncDir(dir);
  return path;
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

/**
 * Writes `pieces` one after the other at `position` with as few system calls as the kernel allows:
 * a group's entries reach the file without being gathered into one buffer first.
 */
export async function writeAll(file: Pick<FileHandle, 'writev'>, pieces: Buffer[], position: number): Promise<void> {
  let rest = pieces.filter((p) => p.length > 0);
  for (let at = position; rest.length > 0;) {
    // IOV_MAX is 1024 on Linux; a longer list is written in turns.
    const turn = rest.slice(0, 1024);
    let written = (await file.writev(turn, at)).bytesWritten;
    at += written;
    const left: Buffer[] = [];
    for (const piece of turn) {
      if (written >= piece.length) written -= piece.length;
      else {
        left.push(written > 0 ? piece.subarray(written) : piece);
        written = 0;
      }
    }
    rest = [...left, ...rest.slice(turn.length)];
  }
}
