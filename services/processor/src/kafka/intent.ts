// Exactly-once into ClickHouse without transactions. Before a batch [start, end] of a partition is
// inserted, its end is written into the committed offset's metadata (the offset itself stays at
// start). After the insert the offset moves to end + 1. A processor that takes over the partition
// after a crash finds the intent and replays exactly [start, end] under the same deduplication
// token, so ClickHouse drops the copy if the first insert had landed.

/** A batch whose insert may or may not have happened: replay exactly these offsets. */
export interface Intent {
  start: bigint;
  end: bigint;
}

const PREFIX = 'instant-logs/intent/v1:';

/** Pure: the commit metadata that records the planned end of the batch starting at the committed offset. */
export function encodeIntent(end: bigint): string {
  return `${PREFIX}${end}`;
}

/** Pure: reads an intent from committed offset + metadata, or undefined when there is none. */
export function decodeIntent(committedOffset: string, metadata: string | null | undefined): Intent | undefined {
  if (!metadata?.startsWith(PREFIX)) return undefined;
  const end = metadata.slice(PREFIX.length);
  if (!/^\d+$/.test(end) || !/^\d+$/.test(committedOffset)) return undefined;
  const intent = { start: BigInt(committedOffset), end: BigInt(end) };
  return intent.end >= intent.start ? intent : undefined;
}

/** Pure: the deduplication token of a batch (or a part of one, when poison records were split out). */
export function dedupToken(topic: string, partition: number, start: bigint, end: bigint, part = ''): string {
  return `${topic}/${partition}/${start}-${end}${part ? `/${part}` : ''}`;
}
