import { test } from 'node:test';
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { mkdirSync, mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { decodeChunk, openSegmentLog, type SegmentLog } from '@instant-logs/queue';
import { IngestResponse, LogPage } from '@instant-logs/schema';
import { eventually, startTestPipeline } from './test-pipeline.ts';

const post = (pipeline: Awaited<ReturnType<typeof startTestPipeline>>, records: object[]) =>
  pipeline.app.inject({
    method: 'POST',
    url: '/api/v1/logs',
    payload: records.map((r) => JSON.stringify(r)).join('\n'),
    headers: { 'content-type': 'application/x-ndjson' },
  });

async function withLog(
  dir: string,
  run: (log: SegmentLog, pipeline: Awaited<ReturnType<typeof startTestPipeline>>) => Promise<void>,
) {
  const log = await openSegmentLog({ dir, segmentBytes: 128 * 1024 });
  const pipeline = await startTestPipeline({
    answerWhenStored: false,
    wal: {
      log,
      maxUnstoredBytes: 1 << 20,
      processor: { maxWaitMs: 200, deadLetterFile: join(dir, 'dead-letters.ndjson') },
    },
  });
  try {
    await run(log, pipeline);
  } finally {
    await pipeline.close();
    await log.close();
  }
}

test('a 202 means the records are in the log on disk; the log processor then stores them once and empties the log', async () => {
  await withLog(mkdtempSync(join(tmpdir(), 'idl-wal-app-')), async (log, pipeline) => {
    const records = Array.from({ length: 30 }, (_, i) => ({
      service: 'wal',
      message: `logged ${i}`,
      attributes: { n: i },
    }));
    const res = await post(pipeline, records);
    assert.equal(res.statusCode, 202);
    assert.equal(IngestResponse.parse(res.json()).accepted, 30);
    // Read back from the segment file: the request is one entry there.
    const entries = await log.read(0n, 1 << 30);
    const chunk = decodeChunk(entries.at(-1)!.payload);
    assert.equal(chunk.rows, 30);
    assert.equal(chunk.data.toString().split('\n').length, 30);
    const page = await eventually(async () => {
      const got = LogPage.parse(
        (await pipeline.app.inject({ method: 'GET', url: '/api/v1/logs?from=now-1h&service=wal&limit=100' })).json(),
      );
      return got.records.length === 30 ? got : undefined;
    });
    assert.deepEqual(new Set(page.records.map((r) => r.body)).size, 30);
    await eventually(async () => (log.unstoredBytes() === 0 ? true : undefined), 10_000, 'the log emptied');
    const metrics = (await pipeline.app.inject({ method: 'GET', url: '/metrics' })).body;
    assert.match(metrics, /^instant_logs_wal_unstored_bytes 0$/m);
    assert.match(metrics, /^instant_logs_processor_batch_rows_sum 30$/m);
    // The one request was one entry of one group commit, timed.
    assert.match(metrics, /^instant_logs_wal_group_commit_entries_sum 1$/m);
    assert.match(metrics, /^instant_logs_wal_group_commit_seconds_count 1$/m);
    assert.match(metrics, /^instant_logs_wal_group_commit_seconds_bucket\{le="\+Inf"\} 1$/m);
  });
});

// A real full disk: the log on a 512 KiB tmpfs. Mounting needs root; elsewhere the test says why it skipped.
test('a full log disk answers 503 with Retry-After and a clear message; every record acknowledged before is stored, and then the space is free again', async (t) => {
  const mnt = join(mkdtempSync(join(tmpdir(), 'idl-wal-full-')), 'mnt');
  mkdirSync(mnt);
  try {
    execFileSync('mount', ['-t', 'tmpfs', '-o', 'size=512k', 'tmpfs', mnt], { stdio: 'ignore' });
  } catch {
    t.skip('cannot mount a small tmpfs here (needs root)');
    return;
  }
  try {
    await withLog(join(mnt, 'wal'), async (log, pipeline) => {
      let accepted = 0;
      let refused: Awaited<ReturnType<typeof post>> | undefined;
      // The processor frees space behind itself every 200 ms; requests come far faster than that.
      for (let i = 0; i < 100 && !refused; i++) {
        const res = await post(
          pipeline,
          Array.from({ length: 50 }, (_, j) => ({ service: 'full', message: `r${i}-${j} ${'x'.repeat(1000)}` })),
        );
        if (res.statusCode === 202) accepted += IngestResponse.parse(res.json()).accepted;
        else refused = res;
      }
      assert.equal(refused?.statusCode, 503);
      assert.equal(refused?.json().error.code, 'COLLECTOR_QUEUE_UNAVAILABLE');
      assert.match(refused?.json().error.message, /no space left on the device \(WAL_DISK_FULL\)/);
      assert.equal(refused?.headers['retry-after'], '30');
      assert.ok(accepted >= 100);
      const stored = async () =>
        LogPage.parse(
          (
            await pipeline.app.inject({ method: 'GET', url: '/api/v1/logs?from=now-1h&service=full&limit=1000' })
          ).json(),
        ).records.length;
      await eventually(
        async () => ((await stored()) === accepted ? true : undefined),
        15_000,
        'every acknowledged record stored',
      );
      await eventually(async () => (log.unstoredBytes() === 0 ? true : undefined), 15_000, 'the log caught up');
      // The stored segments are deleted behind the processor, so the next request has room again.
      const again = await post(pipeline, [{ service: 'full', message: 'after the disk had room again' }]);
      assert.equal(again.statusCode, 202);
      await eventually(
        async () => ((await stored()) === accepted + 1 ? true : undefined),
        15_000,
        'the record after the full disk stored',
      );
    });
  } finally {
    execFileSync('umount', [mnt]);
  }
});
