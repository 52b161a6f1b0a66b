import { mkdir, open, readdir, readFile, unlink, type FileHandle } from 'node:fs/promises';
import { join } from 'node:path';
import type { ReuseBuffer } from '../reuse-buffer.ts';
import {
  ENTRY_HEADER_BYTES,
  entryHeader,
  holeFrame,
  holeSizes,
  writeAll,
  MAX_ENTRY_BYTES,
  openCursorFile,
  parseEntries,
  saveDamaged,
  scanSegment,
  segmentBase,
  segmentName,
  syncDir,
  type Cursor,
} from './segment-files.ts';

export interface SegmentLogOptions {
  dir: string;
  /** A segment takes no new group once it holds this many bytes; a new one starts. */
  segmentBytes: number;
  /** Milliseconds now, for the age of what waits to be stored (tests set it). */
  clock?: () => number;
}

/** One durable entry and its position: its segment's base plus its offset in that segment. */
export interface LogEntry {
  position: bigint;
  /** The position right after it: where reading goes on. */
  next: bigint;
  payload: Buffer;
  /** A damaged stretch repaired on opening (see Recovery.damaged): no records, only room; its payload is empty. */
  hole?: true;
}

/** What opening found: entries kept, every damaged stretch repaired, and every tail cut off because it was torn or corrupt. */
export interface Recovery {
  segments: number;
  entries: number;
  /** Tails cut off; a corrupt one's bytes are saved at `savedTo` first. */
  truncated: { file: string; at: number; droppedBytes: number; problem: 'torn' | 'corrupt'; savedTo?: string }[];
  /**
   * Stretches in the middle of a segment that failed their checks, with whole entries after them: their bytes
   * saved at `savedTo`, then overwritten in place by a hole, so the entries after them are kept where they were.
   * `stored` says the stretch lay before the cursor: its records had been stored already.
   */
  damaged: { file: string; at: number; bytes: number; savedTo: string; stored: boolean }[];
}

/** An append failed; nothing of its group is in the log. `code` says why. */
export class LogAppendError extends Error {
  readonly code: 'WAL_DISK_FULL' | 'WAL_WRITE_FAILED' | 'WAL_CLOSED' | 'WAL_ENTRY_TOO_LARGE';
  constructor(code: LogAppendError['code'], message: string, options: { cause?: unknown } = {}) {
    super(message, options);
    this.name = 'LogAppendError';
    this.code = code;
  }
}

export interface SegmentLog {
  /** Stable name of this log (see Cursor.id). */
  readonly id: string;
  readonly recovery: Recovery;
  /**
   * Resolves with the entry's position once it is fsync'd; concurrent appends share one write and one fdatasync.
   * A payload in parts is stored as their concatenation.
   */
  append(payload: Buffer | readonly Buffer[]): Promise<bigint>;
  /** The position after the last durable entry. */
  end(): bigint;
  /**
   * Durable entries starting at positions in [from, from + limitBytes), in order; at least one if any exists.
   * With `into`, their payloads are read into its memory (reset first), valid until its next reset.
   */
  read(from: bigint, limitBytes: number, into?: ReuseBuffer): Promise<LogEntry[]>;
  /** Resolves once end() passes `position`, after `timeoutMs`, or on close. */
  waitForAppend(position: bigint, timeoutMs: number): Promise<void>;
  committed(): Readonly<Cursor>;
  /** Resolves at the next commit, after `timeoutMs`, or on close. */
  waitForCommit(timeoutMs: number): Promise<void>;
  /** Durably records that entries before `position` are stored, then deletes segments wholly before it. */
  commit(position: bigint, metadata: string | null): Promise<void>;
  /** Bytes appended or being appended and not yet committed as stored. */
  unstoredBytes(): number;
  /**
   * Milliseconds since the oldest entry not yet committed as stored was appended; 0 when everything
   * is stored. Entries found on opening count as appended then: their real age is not on disk.
   */
  unstoredAgeMs(): number;
  /** Group commits so far: each is one write and one fdatasync. */
  groupCommits(): number;
  /** Calls `listener` after each group commit with its entries and how long its write and fdatasync took; returns a remover. */
  onGroupCommit(listener: (group: GroupCommit) => void): () => void;
  close(): Promise<void>;
}

/** One write and fdatasync shared by the entries appended while the one before was in progress. */
export interface GroupCommit {
  entries: number;
  bytes: number;
  seconds: number;
}

interface Segment {
  base: bigint;
  /** Bytes of whole, durable entries. */
  size: number;
}

interface Pending {
  /** The entry's header and payload parts, written as they are. */
  frame: Buffer[];
  bytes: number;
  /** When append was called. */
  at: number;
  resolve: (position: bigint) => void;
  reject: (err: Error) => void;
}

/**
 * Opens (or creates) an append-only segment log in `dir`. Every segment is checked entry by entry: a
 * damaged stretch with whole entries after it is saved aside and replaced by a hole, a torn or corrupt
 * tail is cut off (a corrupt one saved aside first), each reported in `recovery`; every whole entry is kept.
 */
export async function openSegmentLog(options: SegmentLogOptions): Promise<SegmentLog> {
  const { dir } = options;
  const clock = options.clock ?? Date.now;
  await mkdir(dir, { recursive: true });
  const bases = (await readdir(dir)).map(segmentBase).filter((b): b is bigint => b !== undefined);
  bases.sort((a, b) => (a < b ? -1 : a > b ? 1 : 0));
  const cursorFile = await openCursorFile(dir, bases[0] ?? 0n);
  const { cursor } = cursorFile;
  const recovery: Recovery = { segments: 0, entries: 0, truncated: [], damaged: [] };
  const segments: Segment[] = [];
  for (const [i, base] of bases.entries()) {
    const file = join(dir, segmentName(base));
    // Stored already: what a crash between commit and delete left behind.
    if (i < bases.length - 1 && bases[i + 1]! <= cursor.position) {
      await unlink(file);
      continue;
    }
    const bytes = await readFile(file);
    const { entries, damaged, validBytes, problem } = scanSegment(bytes);
    if (problem || damaged.length > 0) {
      // Durably, before anything is read or appended behind the repairs; each stretch is saved before it is overwritten.
      const handle = await open(file, 'r+');
      try {
        for (const { at, end } of damaged) {
          const savedTo = await saveDamaged(dir, base, at, bytes.subarray(at, end));
          let holeAt = at;
          for (const size of holeSizes(end - at)) {
            await handle.write(holeFrame(size), 0, size, holeAt);
            holeAt += size;
          }
          const stored = base + BigInt(end) <= cursor.position;
          recovery.damaged.push({ file, at, bytes: end - at, savedTo, stored });
        }
        if (problem) {
          // A torn tail is a write the crash cut short, never acknowledged; a corrupt one may have been.
          const savedTo =
            problem === 'corrupt' ? await saveDamaged(dir, base, validBytes, bytes.subarray(validBytes)) : undefined;
          await handle.truncate(validBytes);
          const droppedBytes = bytes.length - validBytes;
          recovery.truncated.push({ file, at: validBytes, droppedBytes, problem, ...(savedTo ? { savedTo } : {}) });
        }
        await handle.sync();
      } finally {
        await handle.close();
      }
    }
    segments.push({ base, size: validBytes });
    recovery.entries += entries.filter((e) => !e.hole).length;
  }
  recovery.segments = segments.length;

  const endOf = (s: Segment) => s.base + BigInt(s.size);
  // Deletes the segments before the cursor; never the last one, which appends go to.
  const releaseStored = async () => {
    while (segments.length > 1 && segments[1]!.base <= cursor.position) {
      const [done] = segments.splice(0, 1);
      await unlink(join(dir, segmentName(done!.base)));
    }
  };
  let active: { segment: Segment; file: FileHandle };
  const startSegment = async (base: bigint) => {
    const segment = { base, size: 0 };
    const file = await open(join(dir, segmentName(base)), 'wx');
    await syncDir(dir);
    segments.push(segment);
    return { segment, file };
  };
  const last = segments.at(-1);
  if (last && endOf(last) >= cursor.position)
    active = { segment: last, file: await open(join(dir, segmentName(last.base)), 'r+') };
  else active = await startSegment(cursor.position);

  let pending: Pending[] = [];
  let pendingBytes = 0;
  // Written groups not yet wholly stored, oldest first: where each ends and when its first entry was appended.
  const unstoredGroups: { end: bigint; at: number }[] = [];
  if (endOf(active.segment) > cursor.position) unstoredGroups.push({ end: endOf(active.segment), at: clock() });
  let storedGroups = 0;
  const forgetStoredGroups = () => {
    while (storedGroups < unstoredGroups.length && unstoredGroups[storedGroups]!.end <= cursor.position) storedGroups++;
    // Compacted now and then, not on every commit: a shift per commit would copy the whole list each time.
    if (storedGroups > 1024 || storedGroups === unstoredGroups.length) {
      unstoredGroups.splice(0, storedGroups);
      storedGroups = 0;
    }
  };
  // When the first entry of the group being written now was appended.
  let writingSince: number | undefined;
  let writing: Promise<void> | undefined;
  let closed = false;
  let groups = 0;
  const groupListeners = new Set<(group: GroupCommit) => void>();
  let broken: Error | undefined;
  const waiters = new Set<() => void>();
  const wakeWaiters = () => {
    for (const wake of [...waiters]) wake();
  };
  const commitWaiters = new Set<() => void>();
  const wakeCommitWaiters = () => {
    for (const wake of [...commitWaiters]) wake();
  };
  // Resolves at a wake-up from `set` once `ready()` holds, after `timeoutMs`, or at close.
  const sleepOn = (set: Set<() => void>, timeoutMs: number, ready: () => boolean) =>
    new Promise<void>((resolve) => {
      const finish = () => {
        clearTimeout(timer);
        set.delete(wake);
        resolve();
      };
      const wake = () => {
        if (closed || ready()) finish();
      };
      const timer = setTimeout(finish, timeoutMs);
      set.add(wake);
    });

  const writeGroup = async (pieces: Buffer[], bytes: number): Promise<bigint> => {
    // A segment whose entries are all stored is left too, so the reader's commit can delete it:
    // otherwise a log that filled its disk in one segment would never give the space back.
    const stored = endOf(active.segment) <= cursor.position;
    if (active.segment.size > 0 && (stored || active.segment.size + bytes > options.segmentBytes)) {
      const next = await startSegment(endOf(active.segment)).catch((err: unknown) => {
        throw appendError(err);
      });
      await active.file.close();
      active = next;
      // A file that cannot be deleted now is deleted at the next open: it lies before the cursor.
      if (stored) await releaseStored().catch(() => undefined);
    }
    const at = active.segment.size;
    try {
      await writeAll(active.file, pieces, at);
      await active.file.datasync();
    } catch (err) {
      // Cut back to the last durable entry so a later group does not follow half an entry.
      await active.file.truncate(at).catch((truncateErr: unknown) => {
        broken = new LogAppendError(
          'WAL_WRITE_FAILED',
          `Cannot append to the log: it could not be cut back after a failed write (${(truncateErr as Error).message}); restart to recover it`,
        );
      });
      throw appendError(err);
    }
    active.segment.size += bytes;
    groups++;
    return active.segment.base + BigInt(at);
  };

  const appendError = (err: unknown) => {
    const code = (err as NodeJS.ErrnoException).code;
    if (code === 'ENOSPC' || code === 'EDQUOT') {
      return new LogAppendError('WAL_DISK_FULL', `Cannot append to the log in ${dir}: no space left on the device`, {
        cause: err,
      });
    }
    return new LogAppendError('WAL_WRITE_FAILED', `Cannot append to the log in ${dir}: ${(err as Error).message}`, {
      cause: err,
    });
  };

  const drain = async () => {
    while (pending.length > 0) {
      const group = pending;
      pending = [];
      writingSince = group[0]!.at;
      const bytes = group.reduce((n, p) => n + p.bytes, 0);
      try {
        if (broken) throw broken;
        const started = performance.now();
        let position = await writeGroup(
          group.flatMap((p) => p.frame),
          bytes,
        );
        const seconds = (performance.now() - started) / 1000;
        unstoredGroups.push({ end: position + BigInt(bytes), at: group[0]!.at });
        for (const p of group) {
          p.resolve(position);
          position += BigInt(p.bytes);
        }
        wakeWaiters();
        // Durable whatever a listener does: one that throws fails no append.
        for (const listener of groupListeners) {
          try {
            listener({ entries: group.length, bytes, seconds });
          } catch {
            // A metric that cannot be recorded is not worth failing or slowing the log for.
          }
        }
      } catch (err) {
        for (const p of group) p.reject(err as Error);
      } finally {
        pendingBytes -= bytes;
        writingSince = undefined;
      }
    }
    writing = undefined;
  };

  // Entries starting in [from, upTo) of one segment (offsets within it); the last may end past upTo.
  const readSegment = async (
    segment: Segment,
    from: number,
    upTo: number,
    into: ReuseBuffer | undefined,
  ): Promise<LogEntry[]> => {
    const file = await open(join(dir, segmentName(segment.base)), 'r');
    const readAt = async (offset: number, length: number) => {
      const buffer = into ? into.take(length) : Buffer.allocUnsafe(length);
      const { bytesRead } = await file.read(buffer, 0, length, offset);
      return buffer.subarray(0, bytesRead);
    };
    try {
      const first = parseEntries(await readAt(from, Math.min(segment.size, upTo) - from), from);
      const entries = first.entries;
      let problem = first.problem;
      if (problem === 'torn') {
        // Only the read was cut: fetch the rest of the entry that crosses upTo.
        const at = from + first.validBytes;
        const length = (await readAt(at, ENTRY_HEADER_BYTES)).readUInt32LE(0);
        const rest = parseEntries(await readAt(at, Math.min(ENTRY_HEADER_BYTES + length, segment.size - at)), at);
        entries.push(...rest.entries);
        problem = rest.problem;
      }
      if (problem)
        throw new Error(
          `Cannot read the log: ${segmentName(segment.base)} is ${problem} at ${from + first.validBytes}`,
        );
      return entries.map((e) => {
        const position = segment.base + BigInt(e.offset);
        const next = position + BigInt(ENTRY_HEADER_BYTES + e.payload.length);
        return e.hole
          ? { position, next, payload: Buffer.alloc(0), hole: true }
          : { position, next, payload: e.payload };
      });
    } finally {
      await file.close();
    }
  };

  return {
    id: cursor.id,
    recovery,
    append(payload) {
      if (closed) return Promise.reject(new LogAppendError('WAL_CLOSED', 'Cannot append to the log: it is closed'));
      const parts = Buffer.isBuffer(payload) ? [payload] : [...payload];
      const length = parts.reduce((n, p) => n + p.length, 0);
      if (length > MAX_ENTRY_BYTES)
        return Promise.reject(
          new LogAppendError(
            'WAL_ENTRY_TOO_LARGE',
            `Cannot append ${length} bytes: an entry holds at most ${MAX_ENTRY_BYTES}`,
          ),
        );
      return new Promise((resolve, reject) => {
        const bytes = ENTRY_HEADER_BYTES + length;
        pending.push({ frame: [entryHeader(parts), ...parts], bytes, at: clock(), resolve, reject });
        pendingBytes += bytes;
        writing ??= drain();
      });
    },
    end: () => endOf(active.segment),
    async read(from, limitBytes, into) {
      into?.reset();
      // The limit counts from the first entry found: a gap left by a corrupt segment does not use it up.
      let upTo: bigint | undefined;
      const entries: LogEntry[] = [];
      // A copy: an append may delete stored segments from the list while this read waits for the disk.
      for (const segment of [...segments]) {
        const start = from > segment.base ? from : segment.base;
        if (start >= endOf(segment)) continue;
        upTo ??= start + BigInt(limitBytes);
        if (start >= upTo) break;
        const end = upTo < endOf(segment) ? upTo : endOf(segment);
        entries.push(...(await readSegment(segment, Number(start - segment.base), Number(end - segment.base), into)));
      }
      return entries;
    },
    waitForAppend(position, timeoutMs) {
      if (closed || endOf(active.segment) > position) return Promise.resolve();
      return sleepOn(waiters, timeoutMs, () => endOf(active.segment) > position);
    },
    committed: () => cursor,
    waitForCommit(timeoutMs) {
      if (closed) return Promise.resolve();
      return sleepOn(commitWaiters, timeoutMs, () => true);
    },
    async commit(position, metadata) {
      await cursorFile.write({ id: cursor.id, position, metadata });
      cursor.position = position;
      cursor.metadata = metadata;
      forgetStoredGroups();
      wakeCommitWaiters();
      await releaseStored();
    },
    unstoredBytes: () => Number(endOf(active.segment) - cursor.position) + pendingBytes,
    unstoredAgeMs() {
      // Groups are forgotten at each commit, the only thing that moves the cursor.
      const oldest = unstoredGroups[storedGroups]?.at ?? writingSince ?? pending[0]?.at;
      return oldest === undefined ? 0 : clock() - oldest;
    },
    groupCommits: () => groups,
    onGroupCommit(listener) {
      groupListeners.add(listener);
      return () => void groupListeners.delete(listener);
    },
    async close() {
      closed = true;
      wakeWaiters();
      wakeCommitWaiters();
      await writing;
      await active.file.close();
      await cursorFile.close();
    },
  };
}
