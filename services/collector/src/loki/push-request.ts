/** Why one entry (or the stream it belongs to) cannot be stored, in the sender's terms. */
export interface EntryProblem {
  field: string;
  message: string;
}

/** One entry of a push as sent: epoch nanoseconds, the line and its structured metadata; or its problem. */
export type PushEntry =
  { timestampNs: bigint; line: string; metadata: Record<string, unknown> } | { error: EntryProblem };

/**
 * One stream of a push, decoded from JSON or protobuf but not yet mapped. Problems found while decoding
 * travel with the stream or entry so that they reject only it, never its neighbours; a stream whose
 * labels are bad rejects each of its entries.
 */
export type PushStream =
  { labels: Record<string, string>; entries: PushEntry[] } | { error: EntryProblem; entries: PushEntry[] };

/** A decoded push: its streams, and what the entries are called in the format they came in. */
export interface PushRequest {
  streams: PushStream[];
  /** "values" for JSON, "entries" for protobuf, so error messages use the sender's own field names. */
  entriesKey: 'values' | 'entries';
}
