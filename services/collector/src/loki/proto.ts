import { COLLECTOR_ERRORS } from '../errors.ts';
import { OtlpDecodeError } from '../otlp/error.ts';
import { WireReader } from '../otlp/wire.ts';
import type { PushEntry, PushRequest, PushStream } from './push-request.ts';
import { parseLabelSelector } from './selector.ts';

// logproto.PushRequest as Loki's push.proto defines it (github.com/grafana/loki/pkg/push/push.proto):
// PushRequest{streams=1} Stream{labels=1 selector text, entries=2, hash=3} Entry{timestamp=1, line=2,
// structuredMetadata=3 LabelPair{name=1, value=2}}. Unknown fields are skipped, as protobuf requires.

/** Pure: decodes an uncompressed PushRequest; broken protobuf fails the whole body (400), bad labels only their stream. */
export function decodePushProto(bytes: Uint8Array): PushRequest {
  const streams: PushStream[] = [];
  try {
    const r = new WireReader(bytes);
    while (!r.done()) {
      if (r.next() === 1) streams.push(readStream(r.message('PushRequest.streams')));
      else r.skip();
    }
  } catch (err) {
    if (err instanceof OtlpDecodeError) {
      throw COLLECTOR_ERRORS.INVALID_PROTOBUF({ reason: err.message, field: err.field, position: err.position });
    }
    throw err;
  }
  return { entriesKey: 'entries', streams };
}

function readStream(r: WireReader): PushStream {
  let selector = '';
  const entries: PushEntry[] = [];
  while (!r.done()) {
    const field = r.next();
    if (field === 1) selector = r.string('StreamAdapter.labels');
    else if (field === 2) entries.push(readEntry(r.message('StreamAdapter.entries')));
    else r.skip();
  }
  const parsed = parseLabelSelector(selector);
  return parsed.ok
    ? { labels: parsed.labels, entries }
    : { error: { field: 'labels', message: parsed.error }, entries };
}

function readEntry(r: WireReader): PushEntry {
  let timestamp: { seconds: bigint; nanos: number } | undefined;
  let line = '';
  const metadata: Record<string, unknown> = {};
  while (!r.done()) {
    const field = r.next();
    if (field === 1) timestamp = readTimestamp(r.message('EntryAdapter.timestamp'));
    else if (field === 2) line = r.string('EntryAdapter.line');
    else if (field === 3) {
      const [name, value] = readLabelPair(r.message('EntryAdapter.structuredMetadata'));
      // defineProperty keeps a name such as "__proto__" as data instead of changing the prototype.
      Object.defineProperty(metadata, name, { value, enumerable: true, writable: true, configurable: true });
    } else r.skip();
  }
  if (!timestamp) return { error: { field: 'timestamp', message: 'is required' } };
  if (timestamp.seconds < 0n || timestamp.nanos < 0 || timestamp.nanos > 999_999_999) {
    return {
      error: {
        field: 'timestamp',
        message: `must be at or after 1970 with nanos in 0–999999999, got ${timestamp.seconds}s ${timestamp.nanos}ns`,
      },
    };
  }
  return { timestampNs: timestamp.seconds * 1_000_000_000n + BigInt(timestamp.nanos), line, metadata };
}

// google.protobuf.Timestamp{int64 seconds = 1; int32 nanos = 2}
function readTimestamp(r: WireReader): { seconds: bigint; nanos: number } {
  let seconds = 0n;
  let nanos = 0;
  while (!r.done()) {
    const field = r.next();
    if (field === 1) seconds = r.int64('Timestamp.seconds');
    else if (field === 2) nanos = r.int32('Timestamp.nanos');
    else r.skip();
  }
  return { seconds, nanos };
}

function readLabelPair(r: WireReader): [string, string] {
  let name = '';
  let value = '';
  while (!r.done()) {
    const field = r.next();
    if (field === 1) name = r.string('LabelPairAdapter.name');
    else if (field === 2) value = r.string('LabelPairAdapter.value');
    else r.skip();
  }
  return [name, value];
}
