import type { RecordError } from '@instant-logs/schema';
import { CodedError } from '@instant-logs/service-kit';
import { COLLECTOR_ERRORS } from '../errors.ts';
import { acceptRecords, type AcceptDeps } from '../accept.ts';
import {
  documentClaim,
  DOCUMENT_ANSWER,
  type ClaimOutcome,
  type IdempotencyClaim,
  type IdempotencyLedger,
} from '../idempotency.ts';
import type { ItemOutcome } from '../normalise-batch.ts';
import type { DecodedItem } from '../decode-body.ts';
import { parseBulkBody, type BulkEntry, type EsError } from './bulk-body.ts';
import { bulkResponse, type BulkResponse, type EntryOutcome } from './bulk-response.ts';
import { documentFieldOf, mapEcsDocument } from './ecs-mapping.ts';

/**
 * Parses a bulk body, hands its index/create documents to acceptRecords in one call and answers
 * per item as Elasticsearch does. Queue errors (429/503) fail the whole request so clients retry it.
 * With a ledger, a document whose `_id` was stored in its index within the window is not stored again
 * (see documentClaims).
 */
export async function ingestBulk(
  text: string,
  defaultIndex: string | undefined,
  tenant: string,
  deps: AcceptDeps,
): Promise<BulkResponse> {
  const started = performance.now();
  const entries = parseBulkBody(text, defaultIndex);
  if (entries.length === 0)
    throw COLLECTOR_ERRORS.EMPTY({
      reason: 'the bulk request holds no operations; send an action line and a document line per operation',
    });
  const claims = deps.idempotency ? documentClaims(entries, tenant, deps.idempotency) : undefined;
  const sent = entries.flatMap((entry, i) => (claims?.known[i] ? [] : [i]));
  const stored: ItemOutcome[] = [];
  try {
    await acceptRecords(
      sent.map((i) => toItem(entries[i]!)),
      tenant,
      deps,
      (at, outcome) => (stored[sent[at]!] = outcome),
      undefined,
      claims && sent.map((i) => claims.fresh[i]?.claim.key),
    );
  } catch (err) {
    for (const fresh of claims?.fresh ?? []) fresh?.outcome.settle(undefined);
    throw err;
  }
  const outcomes = entries.map((entry, i): EntryOutcome => {
    const known = claims?.known[i];
    const first = claims?.firstOf[i];
    if (first !== undefined) {
      // A copy fares as its first: answered without storing when that one was, sent again when it was refused.
      const firstKnown = claims!.known[first];
      if (firstKnown) return 'busy' in firstKnown ? { busy: entry.id! } : { existing: entry.id! };
      if ('error' in stored[first]!) return { busy: entry.id! };
    }
    if (known) return known;
    if (entry.error) return { error: entry.error };
    const outcome = stored[i]!;
    // A document refused here frees its _id for a corrected copy.
    claims?.fresh[i]?.outcome.settle('error' in outcome ? undefined : DOCUMENT_ANSWER);
    // The client's own _id when it gave one; otherwise the stored record's id, which finds the record.
    return 'error' in outcome ? { error: documentError(entry, outcome.error) } : { id: entry.id ?? outcome.id };
  });
  return bulkResponse(entries, outcomes, performance.now() - started);
}

/**
 * Claims every named document of the request in the ledger: `fresh` are the ones to store (their claims settled
 * once stored), `known` the ones answered without storing: already stored in the window, or named twice in this
 * request (the first copy is kept, as for the ones stored before; `firstOf` says where it is), or still being
 * stored by another request (that one 429, so the client sends it again and learns which).
 */
function documentClaims(entries: BulkEntry[], tenant: string, ledger: IdempotencyLedger) {
  const fresh: ({ claim: IdempotencyClaim; outcome: Extract<ClaimOutcome, { kind: 'new' }> } | undefined)[] = [];
  const known: (EntryOutcome | undefined)[] = [];
  // For a document named again in this request: where its first copy is.
  const firstOf: (number | undefined)[] = [];
  const named = new Map<string, number>();
  entries.forEach((entry, i) => {
    if (entry.error || entry.id === undefined || entry.index === undefined) return;
    const claim = documentClaim(entry.index, entry.id);
    const first = named.get(claim.key);
    if (first !== undefined) {
      firstOf[i] = first;
      return void (known[i] = { existing: entry.id });
    }
    named.set(claim.key, i);
    let outcome: ClaimOutcome;
    try {
      outcome = ledger.claim(tenant, claim);
    } catch (err) {
      if (!(err instanceof CodedError) || err.code !== 'IDEMPOTENCY_KEY_IN_FLIGHT') throw err;
      return void (known[i] = { busy: entry.id });
    }
    if (outcome.kind === 'replay') known[i] = { existing: entry.id };
    else fresh[i] = { claim, outcome };
  });
  return { fresh, known, firstOf };
}

// Every entry goes through acceptRecords, failed ones as errors, so the rejection metrics count them too.
function toItem(entry: BulkEntry): DecodedItem {
  if (entry.error) return { error: { field: '(record)', message: entry.error.reason } };
  return { record: mapEcsDocument(entry.doc!, entry.index!) };
}

function documentError(entry: BulkEntry, problem: RecordError): EsError {
  const field = documentFieldOf(problem.field);
  const id = entry.id === undefined ? '' : ` in document with id '${entry.id}'`;
  // The record model also accepts "msg"/"body", which an ECS document would keep as attributes.
  const message =
    field === 'message' && problem.message.startsWith('is required')
      ? 'is required, as it becomes the log line'
      : problem.message;
  return { type: 'document_parsing_exception', reason: `failed to parse field [${field}]${id}: ${message}` };
}
