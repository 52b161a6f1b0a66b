import assert from 'node:assert/strict';
import { mkdtempSync, readdirSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test } from 'node:test';
import { createChdbTransport } from '@instant-logs/store';
import { waitUntil } from '@instant-logs/testbed';
import { lowerEnginePriority } from './engine-priority.ts';

// Field 19 of /proc/<tid>/stat, counted after the command name in parentheses.
const niceOf = (tid: string) => {
  const stat = readFileSync(`/proc/self/task/${tid}/stat`, 'utf8');
  return Number(stat.slice(stat.lastIndexOf(')') + 2).split(' ')[16]);
};
const threads = () =>
  readdirSync('/proc/self/task').map((tid) => ({
    tid,
    name: readFileSync(`/proc/self/task/${tid}/comm`, 'utf8').trim(),
    nice: niceOf(tid),
  }));

test('the engine’s query and merge threads get the lower priority, Node’s own threads keep theirs', async () => {
  const transport = createChdbTransport({ path: mkdtempSync(join(tmpdir(), 'idl-nice-')) });
  const priority = lowerEnginePriority(10, 20);
  try {
    await transport.command('CREATE DATABASE p');
    await transport.command('CREATE TABLE p.t (n UInt64) ENGINE = MergeTree ORDER BY n');
    // A query on several threads, and inserts that give the merges something to do, start the engine's pools.
    for (let i = 0; i < 6; i++)
      await transport.command(`INSERT INTO p.t SELECT number FROM numbers(${i * 1000}, 1000)`);
    await transport.query('SELECT sum(number) FROM numbers_mt(10000000) SETTINGS max_threads = 2');
    await waitUntil('engine threads with nice 10', () =>
      threads().some((t) => t.name.startsWith('ThreadPool') && t.nice === 10),
    );
    const all = threads();
    const main = all.find((t) => Number(t.tid) === process.pid)!;
    assert.equal(main.nice, 0, 'the event loop keeps its priority');
    for (const t of all.filter((t) => /^(WorkerThread|V8Worker|libuv)/.test(t.name)))
      assert.equal(t.nice, 0, `${t.name} keeps its priority`);
    const pool = all.filter((t) => t.name.startsWith('ThreadPool'));
    assert.ok(pool.length > 0);
    for (const t of pool) await waitUntil(`${t.name} ${t.tid} lowered`, () => niceOf(t.tid) === 10);
    assert.ok(priority.lowered() >= pool.length);
  } finally {
    priority.stop();
    await transport.close();
  }
});
