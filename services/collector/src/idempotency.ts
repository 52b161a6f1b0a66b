import { createHash } from 'node:crypto';
import { appendFile, open, readFile, rename, writeFile } from 'node:fs/promises';
import { DOCUMENT_DIGEST } from '@instant-logs/queue';
import type { IngestResponse } from '@instant-logs/schema';
import { COLLECTOR_ERRORS } from './errors.ts';

/** What a request's Idempotency-Key stands for: the key and a digest of the body it came with. */
export interface IdempotencyClaim {
  key: string;
  digest: string;
}

/** The answer to an earlier request with the same key and body, or a claim to settle once this one is answered. */
export type ClaimOutcome =
  { kind: 'replay'; response: IngestResponse } | { kind: 'new'; settle(response: IngestResponse | undefined): void };

/**
 * Remembers, per tenant, the answer given to each Idempotency-Key for a window, so a client that retries
 * a request whose answer it never got is told the same answer and nothing is stored twice.
 */
export interface IdempotencyLedger {
  /** Throws 409 while the key's first request is still being answered, 422 when the key came with another body. */
  claim(tenant: string, claim: IdempotencyClaim): ClaimOutcome;
  /** Records an answer already made durable elsewhere (a log entry replayed at start). */
  remember(tenant: string, claim: IdempotencyClaim, response: IngestResponse, atMs: number): void;
  /**
   * Forgets an answered claim after all (a named document whose record the store refused for good), so the
   * next request with it is new; made durable by the next flush. A claim remembered with another digest stays.
   */
  forget(tenant: string, claim: IdempotencyClaim): void;
  /**
   * Makes every answer remembered so far durable in the journal (fdatasync). The embedded log processor
   * awaits it before the log's cursor passes stored entries, so a power cut cannot take a key whose
   * entry the log no longer holds. Never rejects: a failure goes to onError.
   */
  flush(): Promise<void>;
  close(): Promise<void>;
}

export interface IdempotencyOptions {
  windowMs: number;
  /** Keys remembered at most; the oldest are forgotten first. */
  maxKeys?: number;
  /** Where answers are kept across restarts (one JSON line each); absent = memory only. */
  journal?: string;
  /** A journal write or sync that failed: the key is still remembered until a restart, not after one. */
  onError?: (err: Error) => void;
  clock?: () => number;
}

interface Entry {
  digest: string;
  /** Undefined while the first request with the key is in flight. */
  response?: IngestResponse;
  atMs: number;
}

const KEY_PATTERN = /^[\x21-\x7e]{1,255}$/;

/** What a document key is remembered with: its one document stored. */
export const DOCUMENT_ANSWER: IngestResponse = { accepted: 1, rejected: 0, errors: [] };

/**
 * Pure: the claim of a document its sender named (an Elasticsearch bulk document's `_id` in its index). Its
 * key holds a space, which no Idempotency-Key can, so the two never meet; every copy claims the same digest,
 * so a second copy is a replay whatever it holds: documents are kept as first stored.
 */
export function documentClaim(index: string, id: string): IdempotencyClaim {
  return { key: `_id ${JSON.stringify([index, id])}`, digest: DOCUMENT_DIGEST };
}

/**
 * Pure: the claim an ingest request makes, or undefined without the header; throws 400 on a malformed key.
 * The digest covers the body as sent and, for every route but POST /api/v1/logs (whose digests predate
 * the others), the route: a key reused with the same bytes on another route is another request.
 */
export function idempotencyClaim(
  header: string | string[] | undefined,
  body: Buffer,
  route?: 'otlp' | 'loki',
): IdempotencyClaim | undefined {
  if (header === undefined) return undefined;
  const key = Array.isArray(header) ? header[0] : header;
  if (key === undefined || !KEY_PATTERN.test(key.trim())) {
    throw COLLECTOR_ERRORS.BAD_IDEMPOTENCY_KEY({ field: 'idempotency-key' });
  }
  const hash = createHash('sha256');
  if (route) hash.update(`${route}\n`);
  return { key: key.trim(), digest: hash.update(body).digest('base64url') };
}

/**
 * The Kafka collector's ledger: it remembers nothing, so every request is answered by the collector that
 * takes it, and the key travels with the records; the processor stores a retry's copy once (README, "Retries
 * without duplicates"). Malformed keys are still refused with 400.
 */
export function forwardIdempotencyKeys(): IdempotencyLedger {
  const settle = () => undefined;
  return {
    claim: () => ({ kind: 'new', settle }),
    remember: () => undefined,
    forget: () => undefined,
    flush: async () => undefined,
    close: async () => undefined,
  };
}

/** Opens the ledger, reading back the answers of its journal still inside the window. */
export async function createIdempotencyLedger(options: IdempotencyOptions): Promise<IdempotencyLedger> {
  const clock = options.clock ?? Date.now;
  const maxKeys = options.maxKeys ?? 200_000;
  const entries = new Map<string, Entry>();
  const id = (tenant: string, key: string) => `${tenant}\n${key}`;
  let writes: Promise<void> = Promise.resolve();
  // Lines appended since the last sync: a flush with nothing new costs no fdatasync.
  let unsynced = false;
  const failed = (err: unknown) => options.onError?.(err as Error);

  const forgetOld = () => {
    const oldest = clock() - options.windowMs;
    // Insertion order is age order, so the scan stops at the first entry still in the window.
    for (const [k, e] of entries) {
      if (e.atMs > oldest && entries.size <= maxKeys) break;
      if (e.response !== undefined || entries.size > maxKeys) entries.delete(k);
    }
  };
  const keep = (tenant: string, claim: IdempotencyClaim, response: IngestResponse, atMs: number) => {
    entries.delete(id(tenant, claim.key));
    entries.set(id(tenant, claim.key), { digest: claim.digest, response, atMs });
  };

  // The journal is the memory of answers whose log entries were stored and deleted since: its lines are
  // synced (flush) before the log lets go of those entries.
  // Lines wait here for one append: a bulk request remembers a key for each of its documents at once.
  let pendingLines: string[] = [];
  const appendPending = async () => {
    const text = pendingLines.join('');
    pendingLines = [];
    await appendFile(options.journal!, text).then(() => void (unsynced = true), failed);
  };
  const journalLine = (tenant: string, key: string, entry: Entry) => {
    if (!options.journal) return;
    pendingLines.push(lineOf(id(tenant, key), entry));
    // The first line since the last append queues the next one; the lines after it join it.
    if (pendingLines.length === 1) writes = writes.then(appendPending);
  };
  const persist = (tenant: string, claim: IdempotencyClaim, response: IngestResponse, atMs: number) => {
    keep(tenant, claim, response, atMs);
    journalLine(tenant, claim.key, { digest: claim.digest, response, atMs });
  };
  const sync = async (journal: string) => {
    const handle = await open(journal, 'a');
    try {
      await handle.datasync();
    } finally {
      await handle.close();
    }
  };

  if (options.journal) {
    const journal = options.journal;
    const text = await readFile(journal, 'utf8').catch((err: NodeJS.ErrnoException) =>
      err.code === 'ENOENT' ? '' : Promise.reject(err),
    );
    for (const line of text.split('\n')) {
      const saved = parseLine(line);
      if (saved?.response === undefined) {
        if (saved) entries.delete(id(saved.tenant, saved.key));
      } else if (saved.atMs > clock() - options.windowMs) keep(saved.tenant, saved, saved.response, saved.atMs);
    }
    // Rewritten without what aged out, so the journal stays about one window long.
    const temp = `${journal}.tmp`;
    await writeFile(temp, [...entries].map(([k, e]) => lineOf(k, e)).join(''));
    await rename(temp, journal);
  }

  return {
    claim(tenant, claim) {
      forgetOld();
      const known = entries.get(id(tenant, claim.key));
      if (known && known.digest !== claim.digest) {
        throw COLLECTOR_ERRORS.IDEMPOTENCY_KEY_REUSED({ field: 'idempotency-key' });
      }
      if (known?.response) return { kind: 'replay', response: known.response };
      if (known) {
        throw COLLECTOR_ERRORS.IDEMPOTENCY_KEY_IN_FLIGHT({
          field: 'idempotency-key',
          headers: { 'retry-after': '1' },
        });
      }
      entries.set(id(tenant, claim.key), { digest: claim.digest, atMs: clock() });
      return {
        kind: 'new',
        settle(response) {
          // No answer (the request failed): the key is free for the retry.
          if (response === undefined) return void entries.delete(id(tenant, claim.key));
          persist(tenant, claim, response, clock());
        },
      };
    },
    forget(tenant, claim) {
      const known = entries.get(id(tenant, claim.key));
      if (known?.response === undefined || known.digest !== claim.digest) return;
      entries.delete(id(tenant, claim.key));
      // A line without an answer: reading the journal back, it takes the key's earlier line out again.
      journalLine(tenant, claim.key, { digest: claim.digest, atMs: clock() });
    },
    remember(tenant, claim, response, atMs) {
      const known = entries.get(id(tenant, claim.key));
      if (known?.response === undefined && atMs > clock() - options.windowMs) persist(tenant, claim, response, atMs);
    },
    flush() {
      writes = writes.then(async () => {
        if (!options.journal || !unsynced) return;
        unsynced = false;
        await sync(options.journal).catch(failed);
      });
      return writes;
    },
    async close() {
      await writes;
    },
  };
}

function lineOf(k: string, e: Entry): string {
  const [tenant, key] = k.split('\n');
  return `${JSON.stringify({ tenant, key, digest: e.digest, response: e.response, atMs: e.atMs })}\n`;
}

type SavedLine = IdempotencyClaim & { tenant: string; response?: IngestResponse; atMs: number };

// A line without a response is a claim forgotten after it was answered (IdempotencyLedger.forget).
function parseLine(line: string): SavedLine | undefined {
  try {
    const v = JSON.parse(line) as Record<string, unknown>;
    const ok =
      typeof v['tenant'] === 'string' &&
      typeof v['key'] === 'string' &&
      typeof v['digest'] === 'string' &&
      typeof v['atMs'] === 'number' &&
      (v['response'] === undefined || (typeof v['response'] === 'object' && v['response'] !== null));
    return ok ? (v as unknown as SavedLine) : undefined;
  } catch {
    // A line the crash cut short: the log entry it describes is replayed from the log itself.
    return undefined;
  }
}
