import { setTimeout as delay } from 'node:timers/promises';
import { DOCUMENT_DIGEST, joinLines, type ReuseBuffer } from '@instant-logs/queue';
import { readableQueuedLine } from '@instant-logs/schema';
import { backoffDelay, type BackoffPolicy } from '../backoff.ts';
import { dedupToken, encodeIntent } from './intent.ts';
import type { SourceMessage } from './batches.ts';
import { sortRetries, type StoredKeys } from './retries.ts';

/** A record that can never be stored, with where it came from and why. */
export interface DeadLetter {
  value: string;
  tenant: string;
  error: string;
  topic: string;
  partition: number;
  offset: bigint;
  attempts: number;
}

/** Everything the writer does to the outside world, so each piece is a real adapter in production. */
export interface WriterDeps {
  topic: string;
  /** `sources` are the messages the rows came from (for tracing). */
  insert(data: Buffer, dedupToken: string, sources: readonly SourceMessage[]): Promise<void>;
  isTransient(err: unknown): boolean;
  /** Commits `offset` for the partition with optional metadata; rejects with GroupMembershipLost if the partition moved. */
  commit(partition: number, offset: bigint, metadata: string | null): Promise<void>;
  deadLetter(letters: DeadLetter[]): Promise<void>;
  heartbeat(): Promise<void>;
  /** True once the partition was revoked or the consumer is stopping: abandon the batch. */
  shouldStop(): boolean;
  backoff: BackoffPolicy;
  observe: WriterObserver;
  /** Memory each insert's rows are joined in, for a writer that writes one batch at a time. */
  insertMemory?: ReuseBuffer;
  /** Idempotency-Keys stored within their window; absent = no message is skipped as a client's retry. */
  keys?: StoredKeys;
  /**
   * Told the named documents whose record went to the dead letters, before the batch is committed: whoever
   * remembered their keys forgets them, so a corrected copy is stored instead of skipped as a repeat.
   */
  forgetDocuments?(documents: readonly UnstoredDocument[]): Promise<void> | void;
}

/** A document its sender named (an Elasticsearch `_id`) whose record was not stored. */
export interface UnstoredDocument {
  tenant: string;
  key: string;
}

export interface WriterObserver {
  inserted(rows: number, bytes: number, seconds: number): void;
  retried(err: unknown): void;
  deadLettered(count: number): void;
  pausedChanged(partition: number, paused: boolean): void;
  /** Records not stored because their request's part was stored before (a client's retry). */
  retriesSkipped?(rows: number): void;
  /** Messages stored under an Idempotency-Key that came before with another body. */
  keyReused?(messages: readonly SourceMessage[]): void;
}

/** The partition now belongs to another member (rebalance): stop without committing. */
export class GroupMembershipLost extends Error {
  constructor(cause: unknown) {
    super('the partition was reassigned to another processor', { cause });
    this.name = 'GroupMembershipLost';
  }
}

class Stopped extends Error {}

/**
 * Writes one batch of a partition exactly once: records the intent, inserts (retrying transient
 * failures without limit, splitting out records ClickHouse refuses for good into the dead-letter
 * topic), then commits past the batch. Returns false if it had to stop before committing.
 */
export async function writeBatch(
  deps: WriterDeps,
  partition: number,
  batch: readonly SourceMessage[],
): Promise<boolean> {
  const start = batch[0]!.offset;
  const end = batch.at(-1)!.offset;
  try {
    await untilDone(
      deps,
      partition,
      () => deps.commit(partition, start, encodeIntent(end)),
      () => true,
    );
    const { kept, remember } = await withoutRetries(deps, partition, batch);
    const unstored: UnstoredDocument[] = [];
    const token = dedupToken(deps.topic, partition, start, end);
    if (kept.length > 0) await insertIsolating(deps, partition, kept, token, unstored);
    const stored = unstored.length === 0 ? remember : remember.filter((p) => !isUnstored(p, unstored));
    // After the records: a crash in between replays the batch, finds none of its keys and inserts the same
    // messages under the same token, which ClickHouse drops as a duplicate.
    if (stored.length > 0) await untilDone(deps, partition, () => deps.keys!.remember(stored), deps.isTransient);
    if (unstored.length > 0 && deps.forgetDocuments) {
      const forget = deps.forgetDocuments;
      await untilDone(deps, partition, async () => forget(unstored), deps.isTransient);
    }
    await untilDone(
      deps,
      partition,
      () => deps.commit(partition, end + 1n, null),
      () => true,
    );
    return true;
  } catch (err) {
    if (err instanceof Stopped || err instanceof GroupMembershipLost) return false;
    throw err;
  }
}

// A batch without keys costs no lookup.
async function withoutRetries(
  deps: WriterDeps,
  partition: number,
  batch: readonly SourceMessage[],
): Promise<Pick<ReturnType<typeof sortRetries>, 'kept' | 'remember'>> {
  const keys = deps.keys;
  if (!keys || !batch.some((m) => m.idempotency)) return { kept: [...batch], remember: [] };
  const wanted = new Map<string, { tenant: string; key: string }>();
  for (const m of batch)
    if (m.idempotency) wanted.set(`${m.tenant}\n${m.idempotency.key}`, { tenant: m.tenant, key: m.idempotency.key });
  let stored: Awaited<ReturnType<StoredKeys['find']>> = [];
  await untilDone(deps, partition, async () => void (stored = await keys.find([...wanted.values()])), deps.isTransient);
  const sorted = sortRetries(batch, stored, (m) => `${deps.topic}/${partition}/${m.offset}`);
  if (sorted.retries.length > 0) deps.observe.retriesSkipped?.(sorted.retries.reduce((n, m) => n + m.rows, 0));
  if (sorted.reused.length > 0) deps.observe.keyReused?.(sorted.reused);
  return sorted;
}

// A named document's part, when its only record went to the dead letters.
const isUnstored = (p: { tenant: string; key: string; digest: string }, unstored: readonly UnstoredDocument[]) =>
  p.digest === DOCUMENT_DIGEST && unstored.some((d) => d.tenant === p.tenant && d.key === p.key);

// The key a line's document is remembered under, if its sender named it: a local log entry lists its lines'
// keys; on Kafka a named document travels alone, its key in the idempotency headers.
function documentKeyOf(m: SourceMessage, line: number): string | undefined {
  if (m.idempotency?.digest === DOCUMENT_DIGEST) return m.idempotency.key;
  return m.documentKeys?.[line] ?? undefined;
}

async function insertIsolating(
  deps: WriterDeps,
  partition: number,
  messages: readonly SourceMessage[],
  token: string,
  unstored: UnstoredDocument[],
): Promise<void> {
  deps.insertMemory?.reset();
  const data = joinLines(
    messages.map((m) => m.value),
    deps.insertMemory,
  );
  const rows = messages.reduce((n, m) => n + m.rows, 0);
  const failure = await insertOnce(deps, partition, data, rows, token, messages);
  if (!failure) return;
  if (messages.length > 1) {
    for (const m of messages) await insertIsolating(deps, partition, [m], `${token}/o${m.offset}`, unstored);
    return;
  }
  // Only a refused message is decoded, to find its bad lines.
  const lines = messages[0]!.value.toString('utf8').split('\n');
  await isolateLines(deps, partition, messages[0]!, lines, 0, token, failure, unstored);
}

// Halves the lines of one message until the refused ones stand alone; each half has its own
// token derived from its position, so a replay makes the same inserts under the same tokens.
async function isolateLines(
  deps: WriterDeps,
  partition: number,
  m: SourceMessage,
  lines: string[],
  from: number,
  token: string,
  failure: unknown,
  unstored: UnstoredDocument[],
): Promise<void> {
  if (lines.length === 1) {
    const letter = {
      // Named members for whoever reads the dead letters; a replay inserts either form.
      value: readableQueuedLine(lines[0]!),
      tenant: m.tenant,
      error: errorText(failure),
      topic: deps.topic,
      partition,
      offset: m.offset,
      attempts: 1,
    };
    await untilDone(
      deps,
      partition,
      () => deps.deadLetter([letter]),
      () => true,
    );
    deps.observe.deadLettered(1);
    const key = documentKeyOf(m, from);
    if (key !== undefined) unstored.push({ tenant: m.tenant, key });
    return;
  }
  const mid = Math.ceil(lines.length / 2);
  for (const [part, at] of [
    [lines.slice(0, mid), from],
    [lines.slice(mid), from + mid],
  ] as const) {
    const partToken = `${token}/L${at}-${at + part.length - 1}`;
    const partFailure = await insertOnce(deps, partition, Buffer.from(part.join('\n')), part.length, partToken, [m]);
    if (partFailure) await isolateLines(deps, partition, m, part, at, partToken, partFailure, unstored);
  }
}

/** Inserts, retrying transient failures; resolves with the error if ClickHouse refused the data for good. */
async function insertOnce(
  deps: WriterDeps,
  partition: number,
  data: Buffer,
  rows: number,
  token: string,
  sources: readonly SourceMessage[],
): Promise<unknown> {
  let permanent: unknown;
  await untilDone(
    deps,
    partition,
    async () => {
      const t0 = performance.now();
      try {
        await deps.insert(data, token, sources);
        deps.observe.inserted(rows, data.length, (performance.now() - t0) / 1000);
      } catch (err) {
        if (deps.isTransient(err)) throw err;
        permanent = err;
      }
    },
    deps.isTransient,
  );
  return permanent;
}

/** Runs `step` until it succeeds, backing off after transient errors while heartbeating; stops on revocation. */
async function untilDone(
  deps: WriterDeps,
  partition: number,
  step: () => Promise<void>,
  retryable: (err: unknown) => boolean,
): Promise<void> {
  for (let attempt = 1; ; attempt++) {
    if (deps.shouldStop()) throw new Stopped();
    try {
      await step();
      if (attempt > 1) deps.observe.pausedChanged(partition, false);
      return;
    } catch (err) {
      if (err instanceof GroupMembershipLost || !retryable(err)) throw err;
      deps.observe.retried(err);
      if (attempt === 1) deps.observe.pausedChanged(partition, true);
      await waitHeartbeating(deps, backoffDelay(deps.backoff, attempt));
    }
  }
}

async function waitHeartbeating(deps: WriterDeps, ms: number): Promise<void> {
  const until = Date.now() + ms;
  while (Date.now() < until && !deps.shouldStop()) {
    await deps.heartbeat().catch(() => undefined);
    await delay(Math.min(1000, Math.max(0, until - Date.now())));
  }
}

function errorText(err: unknown): string {
  return (err instanceof Error ? err.message : String(err)).slice(0, 2000);
}
