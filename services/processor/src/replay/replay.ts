import { logLevel, Partitioners, type Admin, type EachBatchPayload, type Kafka } from 'kafkajs';
import { selects, toReplayMessage, type DeadLetterRecord, type ReplayOptions } from './select.ts';
import { createKafkaClient } from '@instant-logs/queue';

export interface ReplayCounts {
  /** Republished and acknowledged (or, in a dry run, that would be). */
  replayed: number;
  /** Read and not picked by the filters. */
  skipped: number;
  /** Still in the dead-letter topic past where this run stopped: arrived after it started. */
  left: number;
}

/**
 * Replays a dead-letter topic into the logs topic with its own consumer group, from the group's
 * committed offsets to the end offsets seen at start. Each batch is committed only after the
 * broker acknowledged its republished records, so a crash replays at most that batch again.
 */
export async function replayDeadLetters(options: ReplayOptions): Promise<ReplayCounts> {
  const kafka = createKafkaClient({
    clientId: 'instant-logs-replay',
    brokers: options.brokers,
    logLevel: logLevel.NOTHING,
    retry: { retries: 8, initialRetryTime: 200, maxRetryTime: 5_000 },
  });
  const admin = kafka.admin();
  await admin.connect();
  try {
    const ends = await endOffsets(admin, options.from);
    const position = await startOffsets(admin, options.group, options.from);
    const pending = new Set([...ends].filter(([p, end]) => (position.get(p) ?? 0n) < end).map(([p]) => p));
    const counts = { replayed: 0, skipped: 0 };
    if (pending.size > 0) await consume(kafka, options, ends, position, pending, counts);
    let left = 0n;
    for (const [p, high] of await endOffsets(admin, options.from)) left += high - (position.get(p) ?? 0n);
    return { ...counts, left: Number(left) };
  } finally {
    await admin.disconnect();
  }
}

async function consume(
  kafka: Kafka,
  options: ReplayOptions,
  ends: Map<number, bigint>,
  position: Map<number, bigint>,
  pending: Set<number>,
  counts: { replayed: number; skipped: number },
) {
  const producer = kafka.producer({ idempotent: true, createPartitioner: Partitioners.DefaultPartitioner });
  const consumer = kafka.consumer({ groupId: options.group, maxWaitTimeInMs: 500 });
  let finish!: () => void;
  let fail!: (err: unknown) => void;
  const finished = new Promise<void>((resolve, reject) => ((finish = resolve), (fail = reject)));
  consumer.on(consumer.events.CRASH, ({ payload }) => {
    if (!payload.restart) fail(payload.error);
  });

  const eachBatch = async ({ batch, resolveOffset }: EachBatchPayload) => {
    const end = ends.get(batch.partition) ?? 0n;
    const letters: DeadLetterRecord[] = batch.messages
      .filter((m) => BigInt(m.offset) < end)
      .map((m) => ({
        value: m.value ?? Buffer.alloc(0),
        headers: m.headers ?? {},
        partition: batch.partition,
        offset: m.offset,
      }));
    if (letters.length === 0) return;
    const picked = letters.filter((l) => selects(options, l));
    if (!options.dryRun) {
      if (picked.length > 0)
        await producer.send({
          topic: options.to,
          acks: -1,
          messages: picked.map((l) => toReplayMessage(options.from, l)),
        });
      const next = (BigInt(letters.at(-1)!.offset) + 1n).toString();
      await consumer.commitOffsets([{ topic: options.from, partition: batch.partition, offset: next }]);
    }
    counts.replayed += picked.length;
    counts.skipped += letters.length - picked.length;
    resolveOffset(letters.at(-1)!.offset);
    position.set(batch.partition, BigInt(letters.at(-1)!.offset) + 1n);
    if (position.get(batch.partition)! >= end) pending.delete(batch.partition);
    if (pending.size === 0) finish();
  };

  if (!options.dryRun) await producer.connect();
  await consumer.connect();
  try {
    await consumer.subscribe({ topic: options.from, fromBeginning: true });
    await consumer.run({ autoCommit: false, eachBatchAutoResolve: false, eachBatch });
    await finished;
  } finally {
    await consumer.disconnect();
    if (!options.dryRun) await producer.disconnect();
  }
}

async function endOffsets(admin: Admin, topic: string): Promise<Map<number, bigint>> {
  return new Map((await admin.fetchTopicOffsets(topic)).map((p) => [p.partition, BigInt(p.high)]));
}

// Where the group resumes: its committed offset, or the oldest record kept when it has none (or
// retention already deleted past it).
async function startOffsets(admin: Admin, group: string, topic: string): Promise<Map<number, bigint>> {
  const [low, [committed]] = await Promise.all([
    admin.fetchTopicOffsets(topic),
    admin.fetchOffsets({ groupId: group, topics: [topic] }),
  ]);
  return new Map(
    low.map((p) => {
      const c = BigInt(committed?.partitions.find((q) => q.partition === p.partition)?.offset ?? '-1');
      return [p.partition, c > BigInt(p.low) ? c : BigInt(p.low)];
    }),
  );
}
