import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { startIngestThreads, type IngestThreads } from '@instant-logs/collector';
import { openSegmentLog, type SegmentLog } from '@instant-logs/queue';
import { parseApiKeys } from '@instant-logs/service-kit';
import {
  createAlertStore,
  createChdbTransport,
  createLogStore,
  createSavedObjectStore,
  type ClickHouseTransport,
  type LogStore,
} from '@instant-logs/store';
import { buildEmbeddedPipeline, type EmbeddedDeps, type EmbeddedPipeline } from './app.ts';
import { waitUntil } from '@instant-logs/testbed';

let transport: ClickHouseTransport | undefined;
// As in production on a machine with two cores: request bodies are decoded on an ingest thread.
// The threads do not keep a test process alive, so they are shared and never closed.
let ingestThreads: IngestThreads | undefined;
let counter = 0;

/**
 * Test helper: an embedded pipeline on real chdb in a fresh database. chdb binds one data
 * directory per process, so every pipeline of a test file shares one directory.
 */
export async function startTestPipeline(
  options: {
    apiKeys?: string;
    wrapStore?: (store: LogStore) => LogStore;
    /** false: ingest answers come as soon as the log has the records, as in production, not once they are stored. */
    answerWhenStored?: boolean;
  } & Partial<EmbeddedDeps> = {},
): Promise<EmbeddedPipeline & { database: string; store: LogStore }> {
  transport ??= createChdbTransport({ path: mkdtempSync(join(tmpdir(), 'idl-embedded-')) });
  const database = `t${process.pid}_${++counter}`;
  const store = createLogStore(transport, database);
  await store.migrate();
  const { wrapStore, answerWhenStored = true, ...deps } = options;
  ingestThreads ??= startIngestThreads(1);
  // As main.ts runs it, behind a local log of its own (a test may bring its own), with a short batch window.
  const walDir = deps.wal ? undefined : mkdtempSync(join(tmpdir(), 'idl-embedded-wal-'));
  const ownLog = walDir ? await openSegmentLog({ dir: walDir, segmentBytes: 1 << 20 }) : undefined;
  const wal = deps.wal ?? {
    log: ownLog!,
    maxUnstoredBytes: 256 << 20,
    processor: { maxWaitMs: 10, deadLetterFile: join(walDir!, 'dead-letters.ndjson') },
  };
  const pipeline = buildEmbeddedPipeline({
    store: wrapStore ? wrapStore(store) : store,
    keyring: parseApiKeys(options.apiKeys ?? ''),
    tailPollMs: 50,
    ingestThreads,
    saved: { saved: createSavedObjectStore(transport, database), alerts: createAlertStore(transport, database) },
    ...deps,
    wal,
  });
  // A test reads what it sent right after the answer: every 2xx to an ingest route is held until the log's
  // cursor has passed what the log held then, so whichever client sent it finds its records stored.
  pipeline.app.addHook('onSend', async (request, reply, payload) => {
    const ingest = (request.routeOptions.config as { access?: string } | undefined)?.access === 'ingest';
    if (answerWhenStored && ingest && reply.statusCode < 300) await storedUpTo(wal.log, wal.log.end());
    return payload;
  });
  await pipeline.app.ready();
  const close = pipeline.close;
  return Object.assign(pipeline, {
    database,
    store,
    async close() {
      await close();
      await ownLog?.close();
    },
  });
}

/** Resolves once the log's cursor is at `position` or past it, or after 30 s (the test then fails on what is missing). */
async function storedUpTo(log: SegmentLog, position: bigint): Promise<void> {
  const deadline = Date.now() + 30_000;
  while (log.committed().position < position && Date.now() < deadline) await log.waitForCommit(1_000);
}

/** Polls `check` until it returns a value that is not undefined, or fails after `timeoutMs`. */
export function eventually<T>(check: () => Promise<T | undefined>, timeoutMs = 10_000, what = 'condition'): Promise<T> {
  return waitUntil(what, check, timeoutMs, 5);
}
