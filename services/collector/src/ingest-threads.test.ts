import { after, test } from 'node:test';
import assert from 'node:assert/strict';
import { gzipSync } from 'node:zlib';
import fc from 'fast-check';
import { Registry } from 'prom-client';
import { LIMITS, parseQueuedLine } from '@instant-logs/schema';
import type { LogQueue, RecordChunk } from '@instant-logs/queue';
import { CodedError } from '@instant-logs/service-kit';
import { acceptBody, acceptRecords } from './accept.ts';
import { decodeNdjson } from './decode-body.ts';
import { waitUntil } from '@instant-logs/testbed';
import { restartDelayMs, startIngestThreads } from './ingest-threads.ts';
import { createCollectorMetrics } from './metrics.ts';

const threads = startIngestThreads(2);
after(() => threads.close());

const receivedMs = Date.parse('2026-12-06T12:00:00Z');
const job = (body: string | Buffer, extra: { contentEncoding?: string; ndjson?: boolean } = {}) => ({
  body: Buffer.from(body),
  contentEncoding: extra.contentEncoding,
  ndjson: extra.ndjson ?? true,
  tenant: 'acme',
  receivedMs,
  retentionDays: undefined,
  measureBytes: false,
});

function keepingQueue() {
  const chunks: RecordChunk[] = [];
  const queue: LogQueue = {
    publish: async (chunk) => void chunks.push(chunk),
    ready: async () => true,
    close: async () => {},
  };
  return { queue, chunks };
}
const depsFor = (queue: LogQueue) => ({
  queue,
  metrics: createCollectorMetrics(new Registry()),
  clock: () => receivedMs,
});
// Ids are random per record; everything else in a queued line must match.
const withoutIds = (data: Buffer | undefined) =>
  (data?.toString() ?? '')
    .split('\n')
    .filter(Boolean)
    .map((line) => ({ ...parseQueuedLine(line), id: '(id)' }));

// Lines that mix the common shape, aliases, odd values and broken JSON.
const field = fc.oneof(
  fc.string({ maxLength: 8 }),
  fc.integer(),
  fc.constantFrom(null, true, 'warning', 'ERROR', 50, '2026-12-06T11:59:00.5Z', 1_795_000_000_000),
);
const recordLine = fc
  .record(
    {
      service: field,
      level: field,
      message: field,
      msg: field,
      timestamp: field,
      attributes: fc.dictionary(fc.string({ maxLength: 5 }), field, { maxKeys: 3 }),
      trace_id: fc.constantFrom('', '0af7651916cd43dd8448eb211c80319c', 'zz'),
    },
    { requiredKeys: [] },
  )
  .map((r) => JSON.stringify(r));
const line = fc.oneof(
  { weight: 8, arbitrary: recordLine },
  fc.constantFrom('{"service":"a", broken', '[1,2]', '"text"', '', '  '),
);

test('a body prepared on an ingest thread is stored and answered exactly as on the event loop', async () => {
  await fc.assert(
    fc.asyncProperty(fc.array(line, { minLength: 1, maxLength: 30 }), async (lines) => {
      const body = lines.join('\n');
      const items = decodeNdjson(body);
      fc.pre(items.length > 0);
      const onLoop = keepingQueue();
      const onThread = keepingQueue();
      const expected = await acceptRecords(items, 'acme', depsFor(onLoop.queue));
      const actual = await acceptBody(job(body), threads, depsFor(onThread.queue));
      assert.deepEqual(actual, expected);
      assert.deepEqual(withoutIds(onThread.chunks[0]?.data), withoutIds(onLoop.chunks[0]?.data));
      assert.equal(onThread.chunks[0]?.rows, onLoop.chunks[0]?.rows);
    }),
    { numRuns: 150 },
  );
});

test('refusals of a whole body cross back as the same coded errors', async () => {
  const refusal = (body: string | Buffer, extra?: { contentEncoding?: string; ndjson?: boolean }) =>
    threads.prepare(job(body, extra)).then(
      () => assert.fail('expected a refusal'),
      (err: unknown) => {
        assert.ok(err instanceof CodedError, String(err));
        return [err.statusCode, err.code, err.field];
      },
    );
  assert.deepEqual(await refusal('not gzip', { contentEncoding: 'gzip' }), [400, 'BAD_ENCODING', 'Content-Encoding']);
  assert.deepEqual(await refusal('{}', { contentEncoding: 'br' }), [415, 'UNSUPPORTED_ENCODING', 'Content-Encoding']);
  assert.deepEqual(await refusal('\n \n'), [400, 'EMPTY', undefined]);
  assert.deepEqual(await refusal('{"service":', { ndjson: false }), [400, 'INVALID_JSON', undefined]);
  assert.deepEqual(await refusal('{}\n'.repeat(LIMITS.maxRecordsPerRequest + 1)), [413, 'TOO_MANY_RECORDS', undefined]);
  const bomb = gzipSync(Buffer.alloc(LIMITS.maxRequestBytes + 1, 0x20));
  assert.deepEqual(await refusal(bomb, { contentEncoding: 'gzip' }), [413, 'PAYLOAD_TOO_LARGE', undefined]);
});

test('a thread that dies fails its jobs with a 503 to retry, and a new thread takes the next body', async () => {
  // A heap far too small for a 4 MB body (24 MB): the thread runs out of memory mid-job, as a runaway one would.
  const small = startIngestThreads(1, { maxHeapMb: 24 });
  try {
    const big = Array.from({ length: 40_000 }, (_, i) =>
      JSON.stringify({ service: 'api', message: `request ${i} served`, attributes: { i, path: `/orders/${i}` } }),
    ).join('\n');
    const lost = await small.prepare(job(big)).then(
      () => undefined,
      (err: unknown) => err,
    );
    assert.ok(lost instanceof CodedError, `expected the job to fail, got ${String(lost)}`);
    assert.deepEqual([lost.statusCode, lost.code, lost.headers['retry-after']], [503, 'INGEST_THREAD_LOST', '1']);
    const prepared = await small.prepare(job('{"service":"api","message":"after the loss"}'));
    assert.equal(prepared.rows, 1);
  } finally {
    await small.close();
  }
});

test('restarts of a thread that failed to start wait longer each time, up to 30 s', () => {
  assert.deepEqual([0, 1, 2, 3, 4, 9, 20].map(restartDelayMs), [0, 100, 200, 400, 800, 25_600, 30_000]);
});

test('a thread that cannot start is restarted after growing delays, and jobs meanwhile get a 503 at once', async () => {
  const broken = startIngestThreads(1, { module: new URL('./no-such-ingest-thread.ts', import.meta.url) });
  try {
    // When each start was first seen; the delays (100, 200, 400 ms) are far longer than the 5 ms poll.
    const seen: number[] = [];
    await waitUntil(
      'four starts',
      () => {
        while (seen.length < broken.starts()) seen.push(performance.now());
        return seen.length >= 4;
      },
      30_000,
      5,
    );
    assert.ok(seen[2]! - seen[1]! >= 190, `second restart after ${seen[2]! - seen[1]!} ms`);
    assert.ok(seen[3]! - seen[2]! >= 390, `third restart after ${seen[3]! - seen[2]!} ms`);
    const refused = await broken.prepare(job('{"service":"api","message":"m"}')).then(
      () => undefined,
      (err: unknown) => err,
    );
    assert.ok(refused instanceof CodedError, String(refused));
    assert.deepEqual([refused.statusCode, refused.code], [503, 'INGEST_THREAD_LOST']);
  } finally {
    await broken.close();
  }
});
