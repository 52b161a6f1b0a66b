import { randomBytes } from 'node:crypto';
import { mkdirSync, readdirSync, rmSync } from 'node:fs';
import { rm, writeFile } from 'node:fs/promises';
import { join } from 'node:path';

/**
 * Files an in-process insert reads its rows from. chDB takes rows given inside the statement through a slower
 * path than rows it reads from a file (bench/results/insert-format.md), so a large batch is written here, read
 * by `file()`, and removed. Each transport has a directory of its own; ones left by a process that died are
 * removed when the next transport on the path starts.
 */
export function createInsertSpool(dataPath: string) {
  const root = join(dataPath, 'insert-spool');
  mkdirSync(root, { recursive: true });
  // A directory named with this process's id is an earlier process's too (a container's pid 1 restarted).
  for (const entry of readdirSync(root)) {
    const pid = Number(entry.split('-')[0]);
    if (pid === process.pid || !isLiveProcess(pid)) removeQuietly(join(root, entry));
  }
  const dir = join(root, `${process.pid}-${randomBytes(6).toString('hex')}`);
  mkdirSync(dir);
  let seq = 0;
  return {
    /** Writes `rows`, runs `use` with the file's path, and removes the file whatever the outcome. */
    async with<T>(rows: Buffer, use: (file: string) => Promise<T>): Promise<T> {
      const file = join(dir, `${seq++}.jsonl`);
      try {
        await writeFile(file, rows);
        return await use(file);
      } finally {
        await rm(file, { force: true });
      }
    },
    close(): void {
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
