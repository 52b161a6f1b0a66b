import type { BulkAction, BulkEntry, EsError } from './bulk-body.ts';

/** One item of a bulk response, keyed by its action as Elasticsearch does. */
export type BulkItem = Partial<Record<BulkAction, BulkItemResult>>;

export interface BulkItemResult {
  _index?: string;
  _id?: string;
  _version?: number;
  result?: 'created' | 'updated';
  status: number;
  _shards?: { total: number; successful: number; failed: number };
  _seq_no?: number;
  _primary_term?: number;
  error?: EsError;
}

/** The body Elasticsearch answers a `_bulk` request with. */
export interface BulkResponse {
  took: number;
  errors: boolean;
  items: BulkItem[];
}

/**
 * What became of one entry: stored under an id, refused with an error, not stored because a document with its
 * `_id` already was (`existing`), or not stored because another request is storing that `_id` now (`busy`).
 */
export type EntryOutcome = { id: string } | { error: EsError } | { existing: string } | { busy: string };

/** Pure: the bulk answer for entries and their outcomes, in request order. */
export function bulkResponse(entries: BulkEntry[], outcomes: EntryOutcome[], tookMs: number): BulkResponse {
  let errors = false;
  const items = entries.map((entry, position): BulkItem => {
    const answer = answerOf(entry, outcomes[position]!);
    if ('error' in answer) {
      errors = true;
      const failed: BulkItemResult = answer;
      if (entry.index !== undefined) failed._index = entry.index;
      if (entry.id !== undefined) failed._id = entry.id;
      return { [entry.action]: failed };
    }
    return {
      [entry.action]: {
        _index: entry.index,
        _id: answer.id,
        // Indexing an _id again replaces the document in Elasticsearch; here the first copy stays, and the
        // answer is the one a client expects for a document that exists.
        _version: answer.existing ? 2 : 1,
        result: answer.existing ? 'updated' : 'created',
        _shards: { total: 1, successful: 1, failed: 0 },
        // Every document is new and written once, so its position is a fine sequence number.
        _seq_no: position,
        _primary_term: 1,
        status: answer.existing ? 200 : 201,
      },
    };
  });
  return { took: Math.max(0, Math.round(tookMs)), errors, items };
}

// How an entry is answered: with an error and its status — a bad document (400), a `create` of an _id that exists
// (409, as Elasticsearch answers it; shippers count it as delivered), an _id another request is storing (429, which
// shippers send again) — or as a document kept under an id, new or already there.
function answerOf(
  entry: BulkEntry,
  outcome: EntryOutcome,
): { status: number; error: EsError } | { id: string; existing: boolean } {
  if ('error' in outcome) return { status: 400, error: outcome.error };
  if ('busy' in outcome)
    return {
      status: 429,
      error: {
        type: 'es_rejected_execution_exception',
        reason: `a document with id [${outcome.busy}] is being stored by another request; send it again`,
      },
    };
  if (!('existing' in outcome)) return { id: outcome.id, existing: false };
  if (entry.action !== 'create') return { id: outcome.existing, existing: true };
  return {
    status: 409,
    error: {
      type: 'version_conflict_engine_exception',
      reason: `[${outcome.existing}]: version conflict, document already exists`,
    },
  };
}

// Elasticsearch's own error types for the statuses the collector answers whole requests with.
const ERROR_TYPES: Record<number, string> = {
  400: 'illegal_argument_exception',
  401: 'security_exception',
  403: 'security_exception',
  413: 'content_too_long_exception',
  415: 'media_type_header_exception',
  429: 'es_rejected_execution_exception',
  503: 'unavailable_shards_exception',
};

/** Pure: a whole-request error in Elasticsearch's shape, which its clients parse for type and reason. */
export function esErrorBody(
  status: number,
  reason: string,
): { error: EsError & { root_cause: EsError[] }; status: number } {
  const type = ERROR_TYPES[status] ?? 'exception';
  return { error: { root_cause: [{ type, reason }], type, reason }, status };
}
