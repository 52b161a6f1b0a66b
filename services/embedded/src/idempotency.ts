import { join } from 'node:path';
import { createIdempotencyLedger, DOCUMENT_ANSWER, type IdempotencyLedger } from '@instant-logs/collector';
import { chunkMeta, DOCUMENT_DIGEST, type SegmentLog } from '@instant-logs/queue';
import { IngestResponse } from '@instant-logs/schema';

// Entries are read back this many bytes at a time, so a long backlog never sits in memory whole.
const PAGE_BYTES = 8 * 1024 * 1024;

/**
 * The embedded process's Idempotency-Key ledger: its journal beside the log, plus the answers of log
 * entries not yet stored. A request acknowledged just before a crash is in the log before it is in the
 * journal, so reading both means a retry after the restart is answered from memory, never stored twice.
 */
export async function openIdempotencyLedger(
  log: SegmentLog,
  walDir: string,
  windowMs: number,
  onError?: (err: Error) => void,
): Promise<IdempotencyLedger> {
  const journal = join(walDir, 'idempotency.ndjson');
  const ledger = await createIdempotencyLedger({ windowMs, journal, ...(onError ? { onError } : {}) });
  const now = Date.now();
  for (let position = log.committed().position; position < log.end();) {
    const entries = await log.read(position, PAGE_BYTES);
    if (entries.length === 0) break;
    for (const entry of entries) {
      if (entry.hole) continue;
      const { tenant, idempotency, documentKeys } = chunkMeta(entry.payload);
      const response = idempotency ? IngestResponse.safeParse(idempotency.response) : undefined;
      // An entry carries no time of its own: counting its window from now errs on remembering longer.
      if (idempotency && response?.success) ledger.remember(tenant, idempotency, response.data, now);
      for (const key of documentKeys ?? [])
        if (key !== null) ledger.remember(tenant, { key, digest: DOCUMENT_DIGEST }, DOCUMENT_ANSWER, now);
    }
    position = entries.at(-1)!.next;
  }
  return ledger;
}
