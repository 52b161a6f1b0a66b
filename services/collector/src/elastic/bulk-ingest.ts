import type { RecordError } from '@instant-logs/schema';
import { COLLECTOR_ERRORS } from '../errors.ts';
import { acceptRecords, type AcceptDeps } from '../accept.ts';
import type { ItemOutcome } from '../normalise-batch.ts';
import type { DecodedItem } from '../decode-body.ts';
import { parseBulkBody, type BulkEntry, type EsError } from './bulk-body.ts';
import { bulkResponse, type BulkResponse, type EntryOutcome } from './bulk-response.ts';
import { documentFieldOf, mapEcsDocument } from './ecs-mapping.ts';

/**
 * Parses a bulk body, hands its index/create documents to acceptRecords in one call and answers
 * per item as Elasticsearch does. Queue errors (429/503) fail the whole request so clients retry it.
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
  const stored: ItemOutcome[] = [];
  await acceptRecords(entries.map(toItem), tenant, deps, (index, outcome) => (stored[index] = outcome));
  const outcomes = entries.map((entry, i): EntryOutcome => {
    if (entry.error) return { error: entry.error };
    const outcome = stored[i]!;
    // The client's own _id when it gave one; otherwise the stored record's id, which finds the record.
    return 'error' in outcome ? { error: documentError(entry, outcome.error) } : { id: entry.id ?? outcome.id };
  });
  return bulkResponse(entries, outcomes, performance.now() - started);
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
