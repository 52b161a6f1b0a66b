import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawn, type ChildProcess } from 'node:child_process';
import { once } from 'node:events';
import { setTimeout as delay } from 'node:timers/promises';
import { appendFileSync, mkdtempSync, readdirSync, readFileSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createInterface } from 'node:readline';
import { fileURLToPath } from 'node:url';
import { Histogram } from '@instant-logs/schema';
import { createChdbTransport } from '@instant-logs/store';
import { waitUntil } from '@instant-logs/testbed';

// The real process, killed without warning in the middle of a load, then started again on its data.
const MAIN = fileURLToPath(new URL('./main.ts', import.meta.url));
const CLIENTS = 6;
const PER_REQUEST = 200;

async function start(
  dataDir: string,
  env: Record<string, string> = {},
): Promise<{ child: ChildProcess; url: string; output: string[] }> {
  const child = spawn(process.execPath, [MAIN], {
    // A short batch window, so inserts, commits and segment deletions are under way when the kill comes.
    env: {
      ...process.env,
      PORT: '0',
      DATA_DIR: dataDir,
      SAMPLE_TRAFFIC_RATE: '0',
      LOG_LEVEL: 'info',
      WAL_BATCH_WAIT_MS: '100',
      WAL_SEGMENT_BYTES: String(256 * 1024),
      ...env,
    },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  const output: string[] = [];
  createInterface({ input: child.stderr! }).on('line', (l) => output.push(l));
  // Read on after the URL too, so the process never blocks on a full pipe.
  const url = await new Promise<string>((resolve, reject) => {
    createInterface({ input: child.stdout! }).on('line', (line) => {
      output.push(line);
      const match = /Dashboard\s+(http:\/\/127\.0\.0\.1:\d+)\//.exec(line);
      if (match) resolve(match[1]!);
    });
    child.once('exit', () =>
      reject(new Error(`the embedded process exited before printing its URL:\n${output.join('\n')}`)),
    );
  });
  return { child, url, output };
}

interface Batch {
  key: string;
  ids: string[];
  body: string;
}

const batchOf = (name: string, r: number): Batch => {
  const ids = Array.from({ length: PER_REQUEST }, (_, i) => `${name}-${r}-${i}`);
  return {
    key: `${name}-${r}`,
    ids,
    body: ids
      .map((uid) => JSON.stringify({ service: 'crash', message: `record ${uid}`, attributes: { uid } }))
      .join('\n'),
  };
};

/**
 * Posts a batch with its Idempotency-Key: 'stored' or 'replayed' on a 202, 'failed' when the request failed or was
 * cut off. A 429 (the store behind, replaying what a kill left) is sent again after its Retry-After, as a shipper does.
 */
async function send(url: string, batch: Batch): Promise<'stored' | 'replayed' | 'failed'> {
  try {
    let res: Response;
    for (;;) {
      res = await fetch(`${url}/api/v1/logs`, {
        method: 'POST',
        headers: { 'content-type': 'application/x-ndjson', 'idempotency-key': batch.key },
        body: batch.body,
      });
      await res.arrayBuffer();
      if (res.status !== 429) break;
      await delay(Number(res.headers.get('retry-after')) * 1000);
    }
    if (res.status !== 202) return 'failed';
    return res.headers.get('idempotent-replayed') === 'true' ? 'replayed' : 'stored';
  } catch {
    return 'failed';
  }
}

/**
 * A client posting uniquely numbered records until a request fails; the ids of every 202 go into `acked`,
 * and the batch whose answer never came into `unanswered`, to be retried with the same key after the restart.
 */
async function client(
  url: string,
  name: string,
  acked: string[],
  unanswered: Batch[],
  requests: { n: number },
): Promise<void> {
  for (let r = 0; ; r++) {
    const batch = batchOf(name, r);
    if ((await send(url, batch)) === 'failed') return void unanswered.push(batch);
    acked.push(...batch.ids);
    requests.n++;
  }
}

test('after SIGKILLs in the middle of a load and restarts, every acknowledged record is stored exactly once, retries with the same Idempotency-Key included', async (t) => {
  const dataDir = mkdtempSync(join(tmpdir(), 'idl-crash-'));
  const acked: string[] = [];
  const unanswered: Batch[] = [];
  // Three kills: the later ones also hit a process that is still replaying what the last one left.
  for (let round = 0; round < 3; round++) {
    const running = await start(dataDir);
    const requests = { n: 0 };
    const clients = Array.from({ length: CLIENTS }, (_, c) =>
      client(running.url, `k${round}c${c}`, acked, unanswered, requests),
    );
    try {
      // Some batches are stored by now (cursor moved, segments deleted) and many entries are not.
      await waitUntil('acknowledged requests', () => requests.n >= 40, 60_000, 5);
    } finally {
      running.child.kill('SIGKILL');
    }
    await once(running.child, 'exit');
    await Promise.all(clients);
  }
  assert.ok(acked.length >= 3 * 40 * PER_REQUEST);
  // And a write the last kill cut short: half an entry at the end of the newest segment.
  const wal = join(dataDir, 'wal');
  const newest = readdirSync(wal)
    .filter((f) => f.endsWith('.seg'))
    .sort()
    .at(-1)!;
  // A kill may itself have cut the newest entry short; recovery then cuts that too, with the 10 bytes.
  const sizeBefore = statSync(join(wal, newest)).size;
  appendFileSync(join(wal, newest), Buffer.from([200, 0, 0, 0, 1, 2, 3, 4, 123, 34]));

  const second = await start(dataDir);
  let stored: number;
  try {
    // Clients retry what the kills cut off, with the same keys: a batch the log took before the kill
    // gets its first answer again; one it never took is stored now. Either way, once.
    const retries = { stored: 0, replayed: 0 };
    for (const batch of unanswered) {
      const outcome = await send(second.url, batch);
      assert.notEqual(outcome, 'failed', `the retry of ${batch.key} failed`);
      retries[outcome as 'stored' | 'replayed']++;
      acked.push(...batch.ids);
    }
    // Which retries find their batch already in the log depends on where each kill fell.
    t.diagnostic(
      `retried ${unanswered.length} cut-off batches: ${retries.replayed} answered from the ledger, ${retries.stored} stored now`,
    );
    stored = await waitUntil(
      'the acknowledged records stored after the restart',
      async () => {
        const res = await fetch(`${second.url}/api/v1/logs/histogram?from=now-1h&service=crash&buckets=1`);
        const total = Histogram.parse(await res.json()).buckets.reduce(
          (n, b) => n + Object.values(b.counts).reduce((a, x) => a + x, 0),
          0,
        );
        return total >= acked.length ? total : undefined;
      },
      60_000,
      100,
    );
  } finally {
    second.child.kill('SIGTERM');
    await once(second.child, 'exit');
  }
  assert.ok(stored >= acked.length);
  const torn = second.output
    .map((l) => (l.startsWith('{') ? JSON.parse(l) : {}))
    .find((l) => /torn entry/.test(l.msg ?? ''));
  assert.equal(torn?.file, join(wal, newest));
  assert.ok(
    torn.droppedBytes >= 10 && torn.droppedBytes <= sizeBefore + 10,
    `cut ${torn.droppedBytes} bytes of a segment of ${sizeBefore} + 10`,
  );
  if (torn.droppedBytes > 10) t.diagnostic(`the last kill had cut an entry short: ${torn.droppedBytes - 10} bytes`);

  // Count by id in the data directory itself, with the process gone.
  const transport = createChdbTransport({ path: dataDir, readers: 1 });
  try {
    const rows = await transport.query<{ uid: string; n: string }>(
      `SELECT attributes['uid'] AS uid, count() AS n FROM instant_logs.logs GROUP BY uid`,
    );
    const counts = new Map(rows.map((r) => [r.uid, Number(r.n)]));
    assert.deepEqual(
      acked.filter((uid) => counts.get(uid) !== 1),
      [],
      'acknowledged records missing or stored twice',
    );
    // No record at all is stored twice, whether its first request was cut off or not.
    assert.deepEqual(
      rows.filter((r) => Number(r.n) !== 1),
      [],
    );
  } finally {
    await transport.close();
  }
});

/** Each record's uid and how many times the data directory holds it, read with the process gone. */
async function storedUids(dataDir: string): Promise<Map<string, number>> {
  const transport = createChdbTransport({ path: dataDir, readers: 1 });
  try {
    const rows = await transport.query<{ uid: string; n: string }>(
      `SELECT attributes['uid'] AS uid, count() AS n FROM instant_logs.logs GROUP BY uid`,
    );
    return new Map(rows.map((r) => [r.uid, Number(r.n)]));
  } finally {
    await transport.close();
  }
}

test('an acknowledged entry the disk damaged in the log costs only its own records: the entries after it are stored, its bytes saved and the damage logged', async () => {
  const dataDir = mkdtempSync(join(tmpdir(), 'idl-damaged-'));
  const batches = ['before', 'damaged', 'after'].map((name) => batchOf(`d-${name}`, 0));
  // A batch window longer than the test and no lag bound: the three entries are still in the log at the kill.
  const first = await start(dataDir, { WAL_BATCH_WAIT_MS: '60000', WAL_MAX_LAG_MS: '0' });
  try {
    for (const batch of batches) assert.equal(await send(first.url, batch), 'stored');
  } finally {
    first.child.kill('SIGKILL');
  }
  await once(first.child, 'exit');
  // One bit of the middle entry's records flipped on disk.
  const wal = join(dataDir, 'wal');
  const [segment] = readdirSync(wal).filter((f) => f.endsWith('.seg'));
  const bytes = readFileSync(join(wal, segment!));
  const flipAt = bytes.indexOf('d-damaged-0-0');
  assert.ok(flipAt > 0 && bytes.indexOf('d-after-0-0') > flipAt, 'the entries in the order they were sent');
  bytes[flipAt]! ^= 0x20;
  writeFileSync(join(wal, segment!), bytes);

  const second = await start(dataDir);
  try {
    await waitUntil(
      'the records before and after the damage stored',
      async () => {
        const res = await fetch(`${second.url}/api/v1/logs/histogram?from=now-1h&service=crash&buckets=1`);
        const total = Histogram.parse(await res.json()).buckets.reduce(
          (n, b) => n + Object.values(b.counts).reduce((a, x) => a + x, 0),
          0,
        );
        return total >= 2 * PER_REQUEST;
      },
      60_000,
      100,
    );
  } finally {
    second.child.kill('SIGTERM');
    await once(second.child, 'exit');
  }
  const report = second.output
    .map((l) => (l.startsWith('{') ? JSON.parse(l) : {}))
    .find((l) => /failed their checksum/.test(l.msg ?? ''));
  assert.equal(report?.level, 50, 'logged as an error');
  assert.equal(report.file, join(wal, segment!));
  // The saved bytes hold the damaged entry's records, the flipped one included.
  const saved = readFileSync(report.savedTo, 'utf8');
  assert.ok(saved.includes('D-damaged-0-0') && saved.includes(`d-damaged-0-${PER_REQUEST - 1}`));

  const counts = await storedUids(dataDir);
  const [before, damaged, after] = batches;
  assert.deepEqual(
    [...before!.ids, ...after!.ids].filter((uid) => counts.get(uid) !== 1),
    [],
    'records around the damage missing or stored twice',
  );
  assert.deepEqual(
    damaged!.ids.filter((uid) => counts.has(uid)),
    [],
  );
});
