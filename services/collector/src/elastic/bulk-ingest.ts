import { randomUUID } from 'node:crypto';
import { normalizeRecord, nowNs, type RecordError } from '@instant-logs/schema';
import { CodedError } from '@instant-logs/service-kit';
import { acceptRecords, type AcceptDeps } from '../accept.ts';
import type { DecodedItem } from '../decode-body.ts';
import { parseBulkBody, type BulkEntry, type EsError } from './bulk-body.ts';
import { bulkResponse, type BulkResponse, type EntryOutcome } from './bulk-response.ts';
import { documentFieldOf, mapEcsDocument } from './ecs-mapping.ts';

/**
 * Parses a bulk body, hands its index/create documents to acceptRecords in one call and answers
 * per item as Elasticsearch does. Queue errors (429/503) fail the whole request so clients retry it.
 */
export async function ingestBulk(text: string, defaultIndex: string | undefined, tenant: string, deps: AcceptDeps): Promise<BulkResponse> {
  const started = performance.now();
  const entries = parseBulkBody(text, defaultIndex);
  if (entries.length === 0) throw new CodedError(400, 'EMPTY', 'the bulk request holds no operations; send an action line and a document line per operation');
  const items = entries.map(toItem);
  const result = await acceptRecords(items, tenant, deps);
  const refused = refusedByIndex(result.errors, result.rejected, items, deps.clock);
  const outcomes = entries.map((entry, i): EntryOutcome => {
    if (entry.error) return { error: entry.error };
    const problem = refused.get(i);
    if (problem) return { error: documentError(entry, problem) };
    return { id: entry.id ?? randomUUID() };
  });
  return bulkResponse(entries, outcomes, performance.now() - started);
}

// Every entry goes through acceptRecords, failed ones as errors, so the rejection metrics count them too.
function toItem(entry: BulkEntry): DecodedItem {
  if (entry.error) return { error: { field: '(record)', message: entry.error.reason } };
  return { record: mapEcsDocument(entry.doc!, entry.index!) };
}

/**
 * The validation error of each refused record, by position. acceptRecords lists only the first
 * errors of a large request; records past the listed ones are checked again here, which is exact
 * because validation does not depend on the clock.
 */
function refusedByIndex(listed: RecordError[], rejected: number, items: DecodedItem[], clock: () => number): Map<number, RecordError> {
  const byIndex = new Map(listed.map((e) => [e.index, e]));
  if (rejected <= listed.length) return byIndex;
  const from = (listed.at(-1)?.index ?? -1) + 1;
  const ctx = { tenant: '', receivedNs: nowNs(clock()), newId: () => '' };
  for (let i = from; i < items.length; i++) {
    const item = items[i]!;
    if ('error' in item) continue;
    const checked = normalizeRecord(item.record, ctx);
    if (!checked.ok) byIndex.set(i, { index: i, ...checked.error });
  }
  return byIndex;
}

function documentError(entry: BulkEntry, problem: RecordError): EsError {
  const field = documentFieldOf(problem.field);
  const id = entry.id === undefined ? '' : ` in document with id '${entry.id}'`;
  // The record model also accepts "msg"/"body", which an ECS document would keep as attributes.
  const message = field === 'message' && problem.message.startsWith('is required') ? 'is required, as it becomes the log line' : problem.message;
  return { type: 'document_parsing_exception', reason: `failed to parse field [${field}]${id}: ${message}` };
}
