import { test } from 'node:test';
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { appendFileSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { openSegmentLog, type GroupCommit, type SegmentLog } from './segment-log.ts';
import { ENTRY_HEADER_BYTES, frameEntry, holeSizes, segmentName, writeAll } from './segment-files.ts';

const freshDir = () => mkdtempSync(join(tmpdir(), 'idl-wal-'));
const text = (log: SegmentLog, from = log.committed().position) =>
  log.read(from, 1 << 30).then((es) => es.map((e) => e.payload.toString()));
const segments = (dir: string) =>
  readdirSync(dir)
    .filter((f) => f.endsWith('.seg'))
    .sort();

test('appended entries are read back in order at their positions, also after reopening', async () => {
  const dir = freshDir();
  const log = await openSegmentLog({ dir, segmentBytes: 1 << 20 });
  const positions = [await log.append(Buffer.from('one')), await log.append(Buffer.from('two'))];
  assert.deepEqual(positions, [0n, BigInt(ENTRY_HEADER_BYTES + 3)]);
  assert.equal(log.end(), BigInt(2 * (ENTRY_HEADER_BYTES + 3)));
  assert.deepEqual(await text(log), ['one', 'two']);
  assert.deepEqual(await text(log, positions[1]), ['two']);
  const id = log.id;
  await log.close();

  const again = await openSegmentLog({ dir, segmentBytes: 1 << 20 });
  assert.equal(again.id, id);
  assert.deepEqual(again.recovery, { segments: 1, entries: 2, truncated: [], damaged: [] });
  assert.deepEqual(await text(again), ['one', 'two']);
  assert.equal(await again.append(Buffer.from('three')), again.end() - BigInt(ENTRY_HEADER_BYTES + 5));
  await again.close();
});

test('concurrent appends are group-committed: one write and one fdatasync for all that waited', async () => {
  const log = await openSegmentLog({ dir: freshDir(), segmentBytes: 1 << 20 });
  const groups: GroupCommit[] = [];
  const stop = log.onGroupCommit((group) => groups.push(group));
  // A listener that throws fails no append: the entries are durable by then.
  log.onGroupCommit(() => {
    throw new Error('a broken metric');
  });
  const positions = await Promise.all(Array.from({ length: 100 }, (_, i) => log.append(Buffer.from(`entry ${i}`))));
  // The first append finds the log idle and goes alone; the other 99 queue behind its fsync.
  assert.equal(log.groupCommits(), 2);
  assert.deepEqual(
    groups.map((g) => [g.entries, g.bytes]),
    [
      [1, ENTRY_HEADER_BYTES + 7],
      [99, 99 * ENTRY_HEADER_BYTES + 9 * 7 + 90 * 8],
    ],
  );
  assert.ok(groups.every((g) => g.seconds > 0));
  assert.deepEqual(
    positions,
    [...positions].sort((a, b) => (a < b ? -1 : 1)),
  );
  assert.equal((await text(log)).length, 100);
  stop();
  await log.append(Buffer.from('unheard'));
  assert.equal(groups.length, 2, 'a removed listener hears no more');
  await log.close();
});

test('an entry appended in parts is their concatenation, also in a group of more pieces than one write takes', async () => {
  const dir = freshDir();
  const log = await openSegmentLog({ dir, segmentBytes: 1 << 30 });
  // 700 entries of three parts (an empty one among them): the first goes alone, the other 699 and their headers
  // are 2,796 pieces in one group.
  const parts = (i: number) => [Buffer.from(`{"i":${i}}\n`), Buffer.alloc(0), Buffer.alloc(i % 97, 65 + (i % 26))];
  await log.append(Buffer.from('first'));
  const appended = Array.from({ length: 700 }, (_, i) => log.append(parts(i)));
  await Promise.all(appended);
  assert.equal(log.groupCommits(), 3);
  const expected = ['first', ...Array.from({ length: 700 }, (_, i) => Buffer.concat(parts(i)).toString())];
  assert.deepEqual(await text(log), expected);
  await log.close();
  const again = await openSegmentLog({ dir, segmentBytes: 1 << 30 });
  assert.deepEqual(again.recovery.truncated, []);
  assert.deepEqual(await text(again), expected);
  await again.close();
});

test('a torn last entry is cut off on open, the entries before it are kept, and appends go on from there', async () => {
  const dir = freshDir();
  const log = await openSegmentLog({ dir, segmentBytes: 1 << 20 });
  for (const t of ['a', 'b', 'c']) await log.append(Buffer.from(t));
  const end = log.end();
  await log.close();
  // A crash in the middle of a write: a header and part of its payload reached the file.
  appendFileSync(join(dir, segmentName(0n)), frameEntry(Buffer.from('never acknowledged')).subarray(0, 12));

  const again = await openSegmentLog({ dir, segmentBytes: 1 << 20 });
  assert.deepEqual(again.recovery.truncated, [
    { file: join(dir, segmentName(0n)), at: Number(end), droppedBytes: 12, problem: 'torn' },
  ]);
  assert.equal(statSync(join(dir, segmentName(0n))).size, Number(end));
  assert.equal(await again.append(Buffer.from('d')), end);
  assert.deepEqual(await text(again), ['a', 'b', 'c', 'd']);
  await again.close();
});

// What a reader sees: each entry's text, a hole as '<hole>'.
const shown = (log: SegmentLog, from = log.committed().position) =>
  log.read(from, 1 << 30).then((es) => es.map((e) => (e.hole ? '<hole>' : e.payload.toString())));

test('an acknowledged entry the disk damaged is saved aside and becomes a hole; the entries after it keep their positions', async () => {
  const dir = freshDir();
  const log = await openSegmentLog({ dir, segmentBytes: 1 << 20 });
  const positions = [];
  for (const t of ['keep-1', 'keep-2', 'flipped', 'after-1', 'after-2'])
    positions.push(await log.append(Buffer.from(t)));
  await log.close();
  const file = join(dir, segmentName(0n));
  const bytes = readFileSync(file);
  const flippedAt = Number(positions[2]);
  const flippedBytes = ENTRY_HEADER_BYTES + 'flipped'.length;
  const original = Buffer.from(bytes.subarray(flippedAt, flippedAt + flippedBytes));
  bytes[flippedAt + ENTRY_HEADER_BYTES + 1]! ^= 0x20;
  writeFileSync(file, bytes);

  const again = await openSegmentLog({ dir, segmentBytes: 1 << 20 });
  const savedTo = join(dir, 'damaged', `${segmentName(0n)}.${flippedAt}`);
  assert.deepEqual(again.recovery, {
    segments: 1,
    entries: 4,
    truncated: [],
    damaged: [{ file, at: flippedAt, bytes: flippedBytes, savedTo, stored: false }],
  });
  // The damaged bytes as they were found, for a person to look at.
  assert.deepEqual(
    readFileSync(savedTo),
    Buffer.concat([original.subarray(0, 9), Buffer.from([original[9]! ^ 0x20]), original.subarray(10)]),
  );
  assert.equal(statSync(file).size, bytes.length);
  assert.deepEqual(await shown(again), ['keep-1', 'keep-2', '<hole>', 'after-1', 'after-2']);
  const read = await again.read(0n, 1 << 30);
  assert.deepEqual(
    read.map((e) => e.position),
    positions,
  );
  assert.equal(read[2]!.next, positions[3]);
  assert.equal(read[2]!.payload.length, 0);
  assert.equal(await again.append(Buffer.from('later')), BigInt(bytes.length));
  await again.close();

  // The repair is durable and found nothing more to repair.
  const third = await openSegmentLog({ dir, segmentBytes: 1 << 20 });
  assert.deepEqual(third.recovery, { segments: 1, entries: 5, truncated: [], damaged: [] });
  assert.deepEqual(await shown(third), ['keep-1', 'keep-2', '<hole>', 'after-1', 'after-2', 'later']);
  await third.close();
});

test('a damaged length that points past the end of the segment is damage, not a tear, when whole entries follow it', async () => {
  const dir = freshDir();
  const log = await openSegmentLog({ dir, segmentBytes: 1 << 20 });
  const positions = [];
  for (const t of ['a', 'bad-length', 'c', 'd']) positions.push(await log.append(Buffer.from(t)));
  await log.close();
  const file = join(dir, segmentName(0n));
  const bytes = readFileSync(file);
  bytes.writeUInt32LE(1 << 20, Number(positions[1]));
  writeFileSync(file, bytes);

  const again = await openSegmentLog({ dir, segmentBytes: 1 << 20 });
  assert.deepEqual(again.recovery.truncated, []);
  assert.deepEqual(
    again.recovery.damaged.map((d) => [d.at, d.bytes, d.stored]),
    [[Number(positions[1]), ENTRY_HEADER_BYTES + 'bad-length'.length, false]],
  );
  assert.deepEqual(await shown(again), ['a', '<hole>', 'c', 'd']);
  await again.close();
});

test('damage before the cursor is repaired and reported as stored already', async () => {
  const dir = freshDir();
  const log = await openSegmentLog({ dir, segmentBytes: 1 << 20 });
  const positions = [];
  for (const t of ['stored-1', 'stored-2', 'waiting']) positions.push(await log.append(Buffer.from(t)));
  await log.commit(positions[2]!, null);
  await log.close();
  const file = join(dir, segmentName(0n));
  const bytes = readFileSync(file);
  bytes[Number(positions[0]) + ENTRY_HEADER_BYTES]! ^= 0x01;
  writeFileSync(file, bytes);

  const again = await openSegmentLog({ dir, segmentBytes: 1 << 20 });
  assert.deepEqual(
    again.recovery.damaged.map((d) => [d.at, d.stored]),
    [[0, true]],
  );
  assert.deepEqual(await shown(again), ['waiting']);
  await again.close();
});

test('a last entry whose checksum does not match is saved aside and cut off', async () => {
  const dir = freshDir();
  const log = await openSegmentLog({ dir, segmentBytes: 1 << 20 });
  for (const t of ['keep-1', 'keep-2', 'flipped']) await log.append(Buffer.from(t));
  await log.close();
  const file = join(dir, segmentName(0n));
  const bytes = readFileSync(file);
  const flippedAt = 2 * (ENTRY_HEADER_BYTES + 6);
  bytes[flippedAt + ENTRY_HEADER_BYTES + 1]! ^= 0x20;
  writeFileSync(file, bytes);

  const again = await openSegmentLog({ dir, segmentBytes: 1 << 20 });
  const savedTo = join(dir, 'damaged', `${segmentName(0n)}.${flippedAt}`);
  assert.deepEqual(again.recovery.truncated, [
    { file, at: flippedAt, droppedBytes: bytes.length - flippedAt, problem: 'corrupt', savedTo },
  ]);
  assert.deepEqual(readFileSync(savedTo), bytes.subarray(flippedAt));
  assert.deepEqual(again.recovery.damaged, []);
  assert.deepEqual(await text(again), ['keep-1', 'keep-2']);
  await again.close();
});

test('a full segment rolls over to a new file named by its base position, and reads cross segments', async () => {
  const dir = freshDir();
  const log = await openSegmentLog({ dir, segmentBytes: 100 });
  const entry = (i: number) => Buffer.from(`entry-${String(i).padStart(2, '0')}-${'x'.repeat(30)}`);
  const positions: bigint[] = [];
  for (let i = 0; i < 10; i++) positions.push(await log.append(entry(i)));
  const frame = BigInt(ENTRY_HEADER_BYTES + entry(0).length);
  // 48-byte entries: two fit in 100 bytes, the third starts a new segment.
  assert.deepEqual(
    segments(dir),
    [0n, 2n, 4n, 6n, 8n].map((i) => segmentName(i * frame)),
  );
  assert.deepEqual(
    positions,
    positions.map((_, i) => BigInt(i) * frame),
  );
  assert.equal((await text(log)).length, 10);
  // A read limit counts bytes from `from`; an entry that starts inside it is returned whole.
  assert.deepEqual(
    (await log.read(positions[1]!, Number(frame) * 2 + 1)).map((e) => e.position),
    [positions[1], positions[2], positions[3]],
  );
  await log.close();
});

test('committing deletes segments that were stored in full, and positions are never reused afterwards', async () => {
  const dir = freshDir();
  const log = await openSegmentLog({ dir, segmentBytes: 100 });
  for (let i = 0; i < 6; i++) await log.append(Buffer.alloc(40, 'y'));
  const end = log.end();
  await log.commit(96n, 'note');
  assert.deepEqual(segments(dir), [segmentName(96n), segmentName(192n)]);
  assert.equal(log.unstoredBytes(), Number(end - 96n));
  await log.commit(end, null);
  // The active segment stays, empty of anything unstored, until the next append moves on from it.
  assert.deepEqual(segments(dir), [segmentName(192n)]);
  assert.equal(log.unstoredBytes(), 0);
  assert.equal(await log.append(Buffer.from('next')), end);
  assert.deepEqual(segments(dir), [segmentName(end)]);
  await log.commit(log.end(), null);
  await log.close();

  const again = await openSegmentLog({ dir, segmentBytes: 100 });
  const next = end + BigInt(ENTRY_HEADER_BYTES + 4);
  assert.deepEqual(again.committed(), { id: log.id, position: next, metadata: null });
  assert.deepEqual(await text(again), []);
  assert.equal(await again.append(Buffer.from('after')), next);
  await again.close();
});

test('a torn cursor write leaves the cursor before it', async () => {
  const dir = freshDir();
  const log = await openSegmentLog({ dir, segmentBytes: 1 << 20 });
  await log.append(Buffer.from('a'));
  const b = await log.append(Buffer.from('b'));
  await log.commit(b, null);
  await log.commit(log.end(), null);
  await log.close();
  // The cursor file holds two slots written in turn; the newest (the third write) sits in slot 1.
  const file = join(dir, 'cursor');
  const bytes = readFileSync(file);
  bytes[4096 + ENTRY_HEADER_BYTES + 3]! ^= 0x01;
  writeFileSync(file, bytes);

  const again = await openSegmentLog({ dir, segmentBytes: 1 << 20 });
  assert.equal(again.committed().position, b);
  assert.deepEqual(await text(again), ['b']);
  await again.close();
});

test('a reader waiting for more is woken by the next durable append', async () => {
  const log = await openSegmentLog({ dir: freshDir(), segmentBytes: 1 << 20 });
  const waited = log.waitForAppend(log.end(), 60_000);
  const at = await log.append(Buffer.from('wake'));
  await waited;
  assert.deepEqual(
    (await log.read(at, 100)).map((e) => e.payload.toString()),
    ['wake'],
  );
  await log.close();
});

// A real full disk: a 256 KiB tmpfs. Mounting needs root; elsewhere the test says why it skipped.
test('a full disk fails the append with WAL_DISK_FULL and keeps every entry acknowledged before', async (t) => {
  const dir = freshDir();
  mkdirSync(join(dir, 'mnt'));
  try {
    execFileSync('mount', ['-t', 'tmpfs', '-o', 'size=256k', 'tmpfs', join(dir, 'mnt')], { stdio: 'ignore' });
  } catch {
    t.skip('cannot mount a small tmpfs here (needs root)');
    return;
  }
  try {
    const walDir = join(dir, 'mnt', 'wal');
    const log = await openSegmentLog({ dir: walDir, segmentBytes: 64 * 1024 });
    const acknowledged: bigint[] = [];
    let refusal: unknown;
    for (let i = 0; i < 100 && !refusal; i++) {
      await log.append(Buffer.alloc(10_000, i)).then(
        (p) => acknowledged.push(p),
        (err: unknown) => (refusal = err),
      );
    }
    assert.equal((refusal as { code?: string }).code, 'WAL_DISK_FULL');
    assert.match((refusal as Error).message, /no space left/);
    assert.ok(acknowledged.length > 10);
    // The failed write was cut back, so the files hold exactly the acknowledged entries.
    const sizes = segments(walDir).reduce((n, f) => n + statSync(join(walDir, f)).size, 0);
    assert.equal(sizes, Number(log.end()));
    await log.close();
    const again = await openSegmentLog({ dir: walDir, segmentBytes: 64 * 1024 });
    assert.deepEqual(again.recovery.truncated, []);
    assert.deepEqual(
      (await again.read(0n, 1 << 30)).map((e) => e.position),
      acknowledged,
    );
    // Committing needs no new space, and deleting the stored segments makes room for appends again.
    await again.commit(again.end(), null);
    assert.equal(await again.append(Buffer.alloc(10_000, 1)), again.end() - 10_008n);
    await again.close();
  } finally {
    execFileSync('umount', [join(dir, 'mnt')]);
  }
});

test('pieces a short write leaves are written at the right place by the next', async () => {
  // A file that takes at most 5 bytes a call, as a kernel may under memory pressure or a signal.
  const file = Buffer.alloc(40, '.');
  const calls: number[] = [];
  const short = {
    async writev(buffers: Buffer[], position: number) {
      const bytes = Buffer.concat(buffers).subarray(0, 5);
      bytes.copy(file, position);
      calls.push(position);
      return { bytesWritten: bytes.length, buffers };
    },
  };
  await writeAll(
    short as unknown as Parameters<typeof writeAll>[0],
    ['ab', '', 'cdefgh', 'i', 'jklmnopq'].map((s) => Buffer.from(s)),
    3,
  );
  assert.equal(file.toString(), '...abcdefghijklmnopq' + '.'.repeat(20));
  assert.deepEqual(calls, [3, 8, 13, 18]);
});

test('the age of the oldest unstored entry counts from its append until a commit passes it, also across a reopen', async () => {
  const dir = freshDir();
  let now = 1_000;
  const log = await openSegmentLog({ dir, segmentBytes: 1 << 20, clock: () => now });
  assert.equal(log.unstoredAgeMs(), 0);
  await log.append(Buffer.from('first'));
  now = 2_000;
  const second = await log.append(Buffer.from('second'));
  now = 3_500;
  assert.equal(log.unstoredAgeMs(), 2_500);
  // Storing part of the log makes the next entry the oldest; storing all of it leaves none.
  await log.commit(second, null);
  assert.equal(log.unstoredAgeMs(), 1_500);
  now = 4_000;
  const inFlight = log.append(Buffer.from('third'));
  await log.commit(log.end(), null);
  now = 4_100;
  assert.equal(log.unstoredAgeMs(), 100, 'an entry being written counts before its fsync');
  await inFlight;
  assert.equal(log.unstoredAgeMs(), 100);
  await log.close();

  now = 9_000;
  const again = await openSegmentLog({ dir, segmentBytes: 1 << 20, clock: () => now });
  now = 9_250;
  assert.equal(again.unstoredAgeMs(), 250);
  await again.commit(again.end(), null);
  assert.equal(again.unstoredAgeMs(), 0);
  await again.close();
});

test('thousands of groups stored one by one keep the oldest age right', async () => {
  let now = 0;
  const log = await openSegmentLog({ dir: freshDir(), segmentBytes: 1 << 30, clock: () => now });
  const positions: bigint[] = [];
  for (let i = 0; i < 3000; i++) {
    now = i;
    positions.push(await log.append(Buffer.from(`entry ${i}`)));
  }
  now = 5000;
  for (let i = 1; i < 3000; i += 7) {
    await log.commit(positions[i]!, null);
    assert.equal(log.unstoredAgeMs(), 5000 - i);
  }
  await log.close();
});

test('a wait for the next commit ends at that commit, at its timeout, or when the log closes', async () => {
  const log = await openSegmentLog({ dir: freshDir(), segmentBytes: 1 << 20 });
  await log.append(Buffer.from('one'));
  let committed = false;
  const waiting = log.waitForCommit(60_000).then(() => committed);
  committed = true;
  await log.commit(log.end(), null);
  assert.equal(await waiting, true, 'woken by the commit');
  const t0 = performance.now();
  await log.waitForCommit(20);
  assert.ok(performance.now() - t0 >= 15, 'a timeout with no commit');
  const atClose = log.waitForCommit(60_000);
  await log.close();
  await atClose;
  await log.waitForCommit(60_000);
});

test('a damaged stretch longer than one entry may hold is filled by several holes, none shorter than a header', () => {
  assert.deepEqual(holeSizes(8, 100), [8]);
  assert.deepEqual(holeSizes(100, 100), [100]);
  assert.deepEqual(holeSizes(250, 100), [100, 100, 50]);
  // 104 = 100 + 4 would leave a 4-byte piece, which no frame fits in.
  assert.deepEqual(holeSizes(104, 100), [96, 8]);
  for (let bytes = 8; bytes < 400; bytes++) {
    const sizes = holeSizes(bytes, 100);
    assert.equal(
      sizes.reduce((a, b) => a + b, 0),
      bytes,
    );
    assert.ok(
      sizes.every((n) => n >= ENTRY_HEADER_BYTES && n <= 100),
      `${bytes}: ${sizes.join(' ')}`,
    );
  }
});
