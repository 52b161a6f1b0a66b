import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { encodeChunk, openSegmentLog, type SegmentLog } from '@instant-logs/queue';
import { parseQueuedLine, queuedLine } from '@instant-logs/schema';
import { createChdbTransport, createLogStore, type ClickHouseTransport, type LogStore } from '@instant-logs/store';
import { startTracing } from '@instant-logs/telemetry';
import { waitUntil } from '@instant-logs/testbed';
import { InMemorySpanExporter, SimpleSpanProcessor } from '@opentelemetry/sdk-trace';
import { dedupToken, encodeIntent } from '../kafka/intent.ts';
import { startLogProcessor, type LogProcessorOptions } from './log-processor.ts';

// Real chdb; one data directory per process, so each test takes its own database.
let transport: ClickHouseTransport;
let counter = 0;
const spans = new InMemorySpanExporter();
const tracing = startTracing('log-processor-test', {}, new SimpleSpanProcessor({ exporter: spans }));
before(() => {
  transport = createChdbTransport({ path: mkdtempSync(join(tmpdir(), 'idl-log-processor-')) });
});
after(async () => {
  await tracing.shutdown();
  await transport.close();
});

async function setup(segmentBytes = 1 << 20): Promise<{ store: LogStore; db: string; log: SegmentLog; dir: string }> {
  const db = `lp${process.pid}_${++counter}`;
  const store = createLogStore(transport, db);
  await store.migrate();
  const dir = mkdtempSync(join(tmpdir(), 'idl-log-processor-wal-'));
  return { store, db, log: await openSegmentLog({ dir, segmentBytes }), dir };
}

const line = (id: string, over: Record<string, unknown> = {}) =>
  JSON.stringify({
    id,
    tenant: 'acme',
    timestamp: '2026-12-01T10:00:00.000000000Z',
    observed_timestamp: '2026-12-01T10:00:00.000000000Z',
    service: 'api',
    level: 'info',
    body: `record ${id}`,
    ...over,
  });
const chunk = (ids: string[]) =>
  encodeChunk({ tenant: 'acme', rows: ids.length, data: Buffer.from(ids.map((id) => line(id)).join('\n')) });
const ids = (prefix: string, n: number) => Array.from({ length: n }, (_, i) => `${prefix}-${i}`);

function recorder() {
  const inserts: number[] = [];
  return {
    inserts,
    observe: {
      inserted: (rows: number) => void inserts.push(rows),
      retried() {},
      deadLettered() {},
      pausedChanged() {},
    },
  };
}

const options = (dir: string, over: Partial<LogProcessorOptions> = {}): LogProcessorOptions => ({
  limits: { maxRows: 100_000, maxBytes: 32 << 20 },
  maxWaitMs: 1_000,
  backoff: { initialMs: 10, maxMs: 100 },
  deadLetterFile: join(dir, 'dead-letters.ndjson'),
  ...over,
});

const duplicates = (db: string) =>
  transport.query<{ id: string }>(`SELECT id FROM ${db}.logs GROUP BY id HAVING count() > 1`);

test('entries appended within the wait are stored by one insert, and the log is emptied behind it', async () => {
  const { store, log, dir } = await setup(4096);
  const { inserts, observe } = recorder();
  const processor = startLogProcessor(store, log, options(dir), observe, (err) => assert.fail(err));
  try {
    await Promise.all(Array.from({ length: 40 }, (_, i) => log.append(chunk(ids(`c${i}`, 25)))));
    await waitUntil('the records stored', async () => (await store.count('acme')) === 1000, 15_000, 20);
    // The insert is counted once it returns, which a query may see before: the cursor moves only after both.
    await waitUntil('the cursor at the end of the log', () => log.unstoredBytes() === 0, 5_000, 10);
    assert.deepEqual(inserts, [1000]);
    // 40 entries of ~4 KiB rolled over many segments; only the one still written to is left.
    assert.equal(readdirSync(dir).filter((f) => f.endsWith('.seg')).length, 1);
  } finally {
    await processor.close();
    await log.close();
  }
});

test('a batch whose insert landed before a crash is replayed under the same token and stored once', async () => {
  const { store, db, log, dir } = await setup();
  const first = await log.append(chunk(ids('a', 10)));
  const last = await log.append(chunk(ids('b', 10)));
  await log.append(chunk(ids('c', 10)));
  // What a predecessor left: its intent for [first, last] and its insert of those rows, but no commit.
  await log.commit(first, encodeIntent(last));
  const landed = [...ids('a', 10), ...ids('b', 10)].map((id) => line(id)).join('\n');
  await store.insert(landed, { dedupToken: dedupToken(`wal-${log.id}`, 0, first, last) });
  const { inserts, observe } = recorder();
  const processor = startLogProcessor(store, log, options(dir, { maxWaitMs: 50 }), observe, (err) => assert.fail(err));
  try {
    await waitUntil('the log caught up', () => log.unstoredBytes() === 0, 15_000, 10);
    // The intent's range exactly, then the rest on its own.
    assert.deepEqual(inserts, [20, 10]);
    assert.equal(await store.count('acme'), 30);
    assert.deepEqual(await duplicates(db), []);
  } finally {
    await processor.close();
    await log.close();
  }
});

test('a record the store refuses for good goes to the dead-letter file; the rest of its batch is stored', async () => {
  const { store, log, dir } = await setup();
  const { observe } = recorder();
  const processor = startLogProcessor(store, log, options(dir, { maxWaitMs: 50 }), observe, (err) => assert.fail(err));
  try {
    // An array line, as the collector queues it; the dead letter names its members.
    const bad = queuedLine({ ...parseQueuedLine(line('poison')), severity_number: 'not a number' } as never);
    await log.append(
      encodeChunk({ tenant: 'acme', rows: 3, data: Buffer.from([line('ok-1'), bad, line('ok-2')].join('\n')) }),
    );
    await log.append(chunk(['ok-3']));
    await waitUntil('the log caught up', () => log.unstoredBytes() === 0, 15_000, 10);
    assert.equal(await store.count('acme'), 3);
    const letters = readFileSync(join(dir, 'dead-letters.ndjson'), 'utf8')
      .trim()
      .split('\n')
      .map((l) => JSON.parse(l));
    assert.deepEqual(
      letters.map((l) => [l.tenant, JSON.parse(l.record), l.position]),
      [['acme', parseQueuedLine(bad), '0']],
    );
    assert.equal(JSON.parse(letters[0].record).severity_number, 'not a number');
    assert.match(letters[0].error, /severity_number|parse|Cannot/i);
  } finally {
    await processor.close();
    await log.close();
  }
});

test('closing stores what the log holds without waiting out the batch window', async () => {
  const { store, log, dir } = await setup();
  const processor = startLogProcessor(store, log, options(dir, { maxWaitMs: 60_000 }), recorder().observe, (err) =>
    assert.fail(err),
  );
  await log.append(chunk(ids('late', 5)));
  const t0 = Date.now();
  await processor.close();
  assert.ok(Date.now() - t0 < 30_000);
  assert.equal(await store.count('acme'), 5);
  assert.equal(log.unstoredBytes(), 0);
  await log.close();
});

test('an intent reaching past the end of the log (its entries cut off as corrupt) is reported, and what is left is stored', async () => {
  const { store, log, dir } = await setup();
  const first = await log.append(chunk(ids('left', 10)));
  await log.append(chunk(ids('left-too', 10)));
  await log.commit(first, encodeIntent(log.end() + 1000n));
  const errors: string[] = [];
  const processor = startLogProcessor(store, log, options(dir, { maxWaitMs: 50 }), recorder().observe, (err) =>
    errors.push(err.message),
  );
  try {
    await waitUntil('the log caught up', () => log.unstoredBytes() === 0, 15_000, 10);
    assert.equal(await store.count('acme'), 20);
    assert.equal(errors.length, 1);
    assert.match(errors[0]!, /Cannot replay the batch in flight/);
  } finally {
    await processor.close();
    await log.close();
  }
});

test('holes left where the disk damaged entries are passed over: the entries around them are stored once, the log emptied', async () => {
  // One read for all the entries, then one entry a read (a read of only a hole commits past it).
  for (const maxBytes of [32 << 20, 1]) {
    const { store, db, log, dir } = await setup();
    const kept: string[] = [];
    const damagedAt: bigint[] = [];
    for (const name of ['lost-0', 'a', 'lost-1', 'lost-2', 'b', 'c', 'lost-3', 'd']) {
      const position = await log.append(chunk(ids(name, 5)));
      if (name.startsWith('lost')) damagedAt.push(position);
      else kept.push(...ids(name, 5));
    }
    await log.close();
    const file = join(
      dir,
      readdirSync(dir).find((f) => f.endsWith('.seg'))!,
    );
    const bytes = readFileSync(file);
    for (const at of damagedAt) bytes[Number(at) + 20]! ^= 0x40;
    writeFileSync(file, bytes);
    const reopened = await openSegmentLog({ dir, segmentBytes: 1 << 20 });
    // lost-1 and lost-2 lie side by side: one stretch, one hole.
    assert.equal(reopened.recovery.damaged.length, 3);
    const processor = startLogProcessor(
      store,
      reopened,
      options(dir, { maxWaitMs: 50, limits: { maxRows: 100_000, maxBytes } }),
      recorder().observe,
      (err) => assert.fail(err),
    );
    try {
      await waitUntil('the log caught up', () => reopened.unstoredBytes() === 0, 15_000, 10);
      const stored = await transport.query<{ id: string }>(`SELECT id FROM ${db}.logs ORDER BY id`);
      assert.deepEqual(
        stored.map((r) => r.id),
        [...kept].sort(),
      );
      assert.deepEqual(await duplicates(db), []);
    } finally {
      await processor.close();
      await reopened.close();
    }
  }
});

test('the cursor passes a stored batch only once beforeCommit has resolved', async () => {
  const { store, log, dir } = await setup();
  let release: () => void = () => {};
  const gate = new Promise<void>((resolve) => (release = resolve));
  let waiting = 0;
  const beforeCommit = () => {
    waiting++;
    return gate;
  };
  const processor = startLogProcessor(
    store,
    log,
    options(dir, { maxWaitMs: 20, beforeCommit }),
    recorder().observe,
    (err) => assert.fail(err),
  );
  try {
    await log.append(chunk(ids('gated', 10)));
    await waitUntil(
      'the batch stored, its commit waiting',
      async () => waiting === 1 && (await store.count('acme')) === 10,
      15_000,
      10,
    );
    assert.equal(log.committed().position, 0n);
    assert.ok(log.unstoredBytes() > 0);
    release();
    await waitUntil('the cursor past the batch', () => log.unstoredBytes() === 0, 15_000, 10);
  } finally {
    release();
    await processor.close();
    await log.close();
  }
});

test("a batch's insert span links to the trace of every request whose records it holds", async () => {
  const { store, log, dir } = await setup();
  const traceId = '4bf92f3577b34da6a3ce929d0e0e4736';
  const spanIds = ['00f067aa0ba902b7', '00f067aa0ba902b8'];
  spans.reset();
  const processor = startLogProcessor(store, log, options(dir, { maxWaitMs: 200 }), recorder().observe, (err) =>
    assert.fail(err),
  );
  try {
    await Promise.all(
      spanIds.map((spanId, i) =>
        log.append(
          encodeChunk({
            tenant: 'acme',
            rows: 1,
            data: Buffer.from(line(`traced-${i}`)),
            trace: { traceparent: `00-${traceId}-${spanId}-01` },
          }),
        ),
      ),
    );
    await waitUntil('the log caught up', () => log.unstoredBytes() === 0, 15_000, 10);
    const inserts = spans.getFinishedSpans().filter((s) => s.name === 'insert logs');
    assert.equal(inserts.length, 1);
    assert.deepEqual(
      inserts[0]!.links.map((l) => [l.context.traceId, l.context.spanId]).sort(),
      spanIds.map((id) => [traceId, id]),
    );
  } finally {
    await processor.close();
    await log.close();
  }
});
