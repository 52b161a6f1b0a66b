import { parentPort } from 'node:worker_threads';
import { CodedError, plainCodedError } from '@instant-logs/service-kit';
import { prepareBody, type BodyJob } from './prepare-body.ts';

// Jobs are answered as they finish; a decompressing body may let a later one overtake it.
parentPort?.on('message', async ({ id, job }: { id: number; job: BodyJob }) => {
  try {
    const prepared = await prepareBody(job);
    const { data } = prepared;
    // Moved, not copied, when the lines own their memory; small ones share Node's buffer pool, which must stay here.
    const ownsMemory = data.byteOffset === 0 && data.byteLength === data.buffer.byteLength;
    parentPort!.postMessage({ id, prepared }, ownsMemory ? [data.buffer as ArrayBuffer] : []);
  } catch (err) {
    if (err instanceof CodedError) parentPort!.postMessage({ id, refusal: plainCodedError(err) });
    else parentPort!.postMessage({ id, failure: err instanceof Error ? err.message : String(err) });
  }
});

// Loaded and listening: a thread that dies before saying so failed to start (see startIngestThreads).
parentPort?.postMessage({ ready: true });
