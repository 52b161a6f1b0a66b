import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { startIngestThreads, type IngestThreads } from '@instant-logs/collector';
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
  options: { apiKeys?: string; wrapStore?: (store: LogStore) => LogStore } & Partial<EmbeddedDeps> = {},
): Promise<EmbeddedPipeline & { database: string; store: LogStore }> {
  transport ??= createChdbTransport({ path: mkdtempSync(join(tmpdir(), 'idl-embedded-')) });
  const database = `t${process.pid}_${++counter}`;
  const store = createLogStore(transport, database);
  await store.migrate();
  const { wrapStore, ...deps } = options;
  ingestThreads ??= startIngestThreads(1);
  const pipeline = buildEmbeddedPipeline({
    store: wrapStore ? wrapStore(store) : store,
    keyring: parseApiKeys(options.apiKeys ?? ''),
    tailPollMs: 50,
    ingestThreads,
    saved: { saved: createSavedObjectStore(transport, database), alerts: createAlertStore(transport, database) },
    ...deps,
  });
  await pipeline.app.ready();
  return Object.assign(pipeline, { database, store });
}

/** Polls `check` until it returns a value that is not undefined, or fails after `timeoutMs`. */
export function eventually<T>(check: () => Promise<T | undefined>, timeoutMs = 10_000, what = 'condition'): Promise<T> {
  return waitUntil(what, check, timeoutMs, 5);
}
