import { open } from 'node:fs/promises';
import { decodeChunk, ReuseBuffer, type LogEntry, type SegmentLog } from '@instant-logs/queue';
import { isRetryable, type LogStore } from '@instant-logs/store';
import { backoffDelay, type BackoffPolicy } from '../backoff.ts';
import { tracedInsert } from '../traced-insert.ts';
import { cutBatches, type BatchLimits, type SourceMessage } from '../kafka/batches.ts';
import { decodeIntent } from '../kafka/intent.ts';
import { writeBatch, type DeadLetter, type WriterDeps, type WriterObserver } from '../kafka/writer.ts';

export interface LogProcessorOptions {
  limits: BatchLimits;
  /** Longest an entry waits for companions before its batch is written, unless limits.maxBytes arrive first. */
  maxWaitMs: number;
  backoff: BackoffPolicy;
  /** Records the store refuses for good are appended here as NDJSON, with the error and their log position. */
  deadLetterFile: string;
  /**
   * Awaited before the cursor moves past stored entries, after which the log may delete them: the embedded
   * process makes its Idempotency-Key journal durable here, so a key outlives its entry.
   */
  beforeCommit?: () => Promise<void>;
  /** Named documents whose record went to the dead letters, told before the commit (WriterDeps.forgetDocuments). */
  forgetDocuments?: WriterDeps['forgetDocuments'];
}

export const DEFAULT_LOG_PROCESSOR_OPTIONS = Object.freeze({
  limits: Object.freeze({ maxRows: 200_000, maxBytes: 32 * 1024 * 1024 }),
  maxWaitMs: 250,
  backoff: Object.freeze({ initialMs: 100, maxMs: 5_000 }),
});

export interface LogProcessor {
  /** Whether the store is refusing inserts now (the batch in hand is being retried with backoff). */
  storeFailing(): boolean;
  /** Stores what the log holds (unless the store is failing: then it stays for the next start), then stops. */
  close(): Promise<void>;
}

/**
 * Feeds the store from the durable log: waits for maxWaitMs or maxBytes of entries, inserts them in
 * large batches with the Kafka path's writer (intent, insert with a token from the log positions,
 * commit), so a restart replays the batch in flight under the same token and nothing is stored twice.
 */
export function startLogProcessor(
  store: LogStore,
  log: SegmentLog,
  options: LogProcessorOptions,
  observe: WriterObserver,
  onError: (err: Error) => void,
): LogProcessor {
  let stopping = false;
  let failing = false;
  let wakeStop: () => void = () => {};
  const stopped = new Promise<void>((resolve) => (wakeStop = resolve));
  // The position right after an entry, by `offset + 1`: the writer commits end + 1 (Kafka offsets)
  // and the log continues at the next entry's position.
  const following = new Map<bigint, bigint>();

  // One batch at a time: what was read and joined for the last one is done with when the next is read.
  const readMemory = new ReuseBuffer();
  const deps = {
    // The log's id keeps tokens apart from an earlier log whose positions started at 0 too.
    topic: `wal-${log.id}`,
    insertMemory: new ReuseBuffer(),
    insert: (data: Buffer, token: string, sources: readonly SourceMessage[]) =>
      tracedInsert(store, data, token, sources),
    isTransient: isRetryable,
    async commit(_partition: number, offset: bigint, metadata: string | null) {
      // An intent (metadata) leaves the cursor where it is; only a commit past a stored batch lets entries go.
      if (metadata === null) await options.beforeCommit?.();
      await log.commit(metadata === null ? (following.get(offset) ?? offset) : offset, metadata);
    },
    deadLetter: (letters: DeadLetter[]) => appendDeadLetters(options.deadLetterFile, letters),
    ...(options.forgetDocuments ? { forgetDocuments: options.forgetDocuments } : {}),
    heartbeat: async () => {},
    // On shutdown a failing store is not waited for: the entries stay in the log for the next start.
    shouldStop: () => stopping && failing,
    backoff: options.backoff,
    observe: {
      ...observe,
      pausedChanged(partition: number, paused: boolean) {
        failing = paused;
        observe.pausedChanged(partition, paused);
      },
    },
  };

  const toMessage = (e: LogEntry): SourceMessage => {
    following.set(e.position + 1n, e.next);
    const chunk = decodeChunk(e.payload);
    return {
      offset: e.position,
      value: chunk.data,
      rows: chunk.rows,
      tenant: chunk.tenant,
      ...(chunk.trace ? { trace: chunk.trace } : {}),
      ...(chunk.documentKeys ? { documentKeys: chunk.documentKeys } : {}),
    };
  };

  // Resolves when maxWaitMs passed since `since`, maxBytes are waiting, or the processor stops.
  const gather = async (position: bigint, since: number) => {
    while (!stopping && Number(log.end() - position) < options.limits.maxBytes) {
      const left = since + options.maxWaitMs - Date.now();
      if (left <= 0) return;
      await Promise.race([log.waitForAppend(log.end(), left), stopped]);
    }
  };

  // 'written' carries when the entries were read: whatever came later is at most that old.
  const step = async (windowStart: number): Promise<{ readAt: number } | 'idle' | 'stop'> => {
    const { position, metadata } = log.committed();
    const intent = decodeIntent(String(position), metadata);
    if (!intent) {
      if (log.end() <= position) return stopping ? 'stop' : 'idle';
      await gather(position, windowStart);
    }
    // A batch a predecessor began is replayed exactly as it was cut, however large.
    const limit = intent
      ? Math.max(options.limits.maxBytes, Number(intent.end - position) + 1)
      : options.limits.maxBytes;
    following.clear();
    const readAt = Date.now();
    const entries = await log.read(position, limit, readMemory);
    // Holes (damage repaired on opening) hold no records; a batch's commit passes those among or before its entries.
    const messages = entries.filter((e) => !e.hole).map(toMessage);
    if (messages.length === 0 && entries.length > 0 && !intent) {
      await log.commit(entries.at(-1)!.next, null);
      return { readAt };
    }
    const { batches, waiting } = cutBatches(messages, options.limits, intent);
    if (waiting) {
      // The log no longer reaches the end of the batch in flight: entries were cut off as corrupt.
      // That batch cannot be replayed as it was; store what is left as new batches.
      onError(
        new Error(
          `Cannot replay the batch in flight up to log position ${intent!.end}: the log ends before it; its rest is stored anew`,
        ),
      );
      await log.commit(position, null);
      return { readAt };
    }
    for (const batch of batches) {
      if (!(await writeBatch(deps, 0, batch))) return 'stop';
    }
    return { readAt };
  };

  const run = async () => {
    let windowStart = 0;
    for (let attempt = 1; ;) {
      try {
        const outcome = await step(windowStart);
        if (outcome === 'stop') return;
        if (outcome === 'idle') {
          await Promise.race([log.waitForAppend(log.end(), 60_000), stopped]);
          // What arrives after an idle spell is fresh: give it the full window to gather companions.
          windowStart = Date.now();
        } else windowStart = outcome.readAt;
        attempt = 1;
      } catch (err) {
        // Reading or decoding failed (a bug or a damaged disk): report it and try again later.
        onError(err as Error);
        if (stopping) return;
        await Promise.race([new Promise((r) => setTimeout(r, backoffDelay(options.backoff, attempt++))), stopped]);
      }
    }
  };
  const running = run();

  return {
    storeFailing: () => failing,
    async close() {
      stopping = true;
      wakeStop();
      await running;
    },
  };
}

async function appendDeadLetters(file: string, letters: DeadLetter[]): Promise<void> {
  const lines = letters.map((l) =>
    JSON.stringify({
      at: new Date().toISOString(),
      tenant: l.tenant,
      error: l.error,
      position: String(l.offset),
      record: l.value,
    }),
  );
  const handle = await open(file, 'a');
  try {
    await handle.appendFile(`${lines.join('\n')}\n`);
    await handle.datasync();
  } finally {
    await handle.close();
  }
}
