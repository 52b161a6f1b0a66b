import { randomBytes } from 'node:crypto';
import { mkdirSync, readdirSync, rmSync } from 'node:fs';
import { rm, writeFile } from 'node:fs/promises';
import { join } from 'node:path';

// The spool directories of this process's transports, which a new transport on the same path leaves alone.
const ownDirs = new Set<string>();

/** How a spool says it could not write: the error, how many writes have failed since it started, and where it writes. */
export type SpoolErrorReport = (err: Error, failures: number, dir: string) => void;

// A disk that refuses every write would otherwise report once a batch.
const REPORT_EVERY_MS = 60_000;

/**
 * Files an in-process insert reads its rows from. chDB takes rows given inside the statement through a slower
 * path than rows it reads from a file (bench/results/insert-format.md), so a large batch is written here, read
 * by `file()`, and removed. Each transport has a directory of its own; ones left by a process that died are
 * removed when the next transport on the path starts. A write that fails is reported through `onError`, at
 * most once a minute: the insert still succeeds, but the data disk refused a file.
 */
export function createInsertSpool(dataPath: string, onError?: SpoolErrorReport) {
  const root = join(dataPath, 'insert-spool');
  mkdirSync(root, { recursive: true });
  // A directory named with this process's id and not in use here is an earlier process's (a container's pid 1
  // restarted); another transport of this process on the same path keeps its own.
  for (const entry of readdirSync(root)) {
    const path = join(root, entry);
    const pid = Number(entry.split('-')[0]);
    if (pid === process.pid ? !ownDirs.has(path) : !isLiveProcess(pid)) removeQuietly(path);
  }
  const dir = join(root, `${process.pid}-${randomBytes(6).toString('hex')}`);
  mkdirSync(dir);
  ownDirs.add(dir);
  let seq = 0;
  let failures = 0;
  let reportedAt = -Infinity;
  return {
    /** Writes `rows` to a new file and returns its path, or undefined when it could not (a full or broken disk). */
    async write(rows: Buffer): Promise<string | undefined> {
      const file = join(dir, `${seq++}.jsonl`);
      try {
        await writeFile(file, rows);
        return file;
      } catch (err) {
        await rm(file, { force: true }).catch(() => undefined);
        failures++;
        if (onError && performance.now() - reportedAt >= REPORT_EVERY_MS) {
          reportedAt = performance.now();
          onError(err instanceof Error ? err : new Error(String(err)), failures, dir);
        }
        return undefined;
      }
    },
    async remove(file: string): Promise<void> {
      await rm(file, { force: true }).catch(() => undefined);
    },
    close(): void {
      ownDirs.delete(dir);
      removeQuietly(dir);
    },
  };
}

function isLiveProcess(pid: number): boolean {
  if (!Number.isInteger(pid) || pid <= 0) return false;
  try {
    process.kill(pid, 0);
    return true;
  } catch (err) {
    return (err as NodeJS.ErrnoException).code === 'EPERM';
  }
}

function removeQuietly(path: string): void {
  rmSync(path, { recursive: true, force: true });
}
