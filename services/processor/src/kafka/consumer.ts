import { logLevel, type Admin, type Consumer, type EachBatchPayload, type Producer, Partitioners } from 'kafkajs';
import { isRetryable, type LogStore } from '@instant-logs/store';
import { backoffDelay, type BackoffPolicy } from '../backoff.ts';
import { tracedInsert } from '../traced-insert.ts';
import { cutBatches, type BatchLimits, type SourceMessage } from './batches.ts';
import { decodeIntent, type Intent } from './intent.ts';
import { GroupMembershipLost, writeBatch, type DeadLetter, type WriterObserver } from './writer.ts';
import { createKafkaClient, readIdempotency } from '@instant-logs/queue';
import type { StoredKeys } from './retries.ts';

export interface KafkaProcessorOptions {
  brokers: string[];
  clientId: string;
  groupId: string;
  topic: string;
  deadLetterTopic: string;
  limits: BatchLimits;
  /** The broker holds a fetch until this many bytes are there or maxWaitMs passed: the time/size batching. */
  fetchMinBytes: number;
  fetchMaxWaitMs: number;
  partitionsConcurrently: number;
  backoff: BackoffPolicy;
  /** Told of every consumer crash; the consumer is restarted after each (with backoff). */
  onCrash?: (error: Error) => void;
  /** Told each time start finds the topic missing and waits for it (with backoff). */
  onWaiting?: (why: string) => void;
  /** Where the Idempotency-Keys of stored records are kept for their window; absent = retries are not recognised. */
  keys?: StoredKeys;
}

export interface KafkaProcessor {
  start(): Promise<void>;
  /** Leaves the group after the batches in progress are committed or abandoned. */
  stop(): Promise<void>;
}

// Kafka says the member no longer owns its partitions: the batch belongs to someone else now.
const MEMBERSHIP_ERRORS = new Set([
  'REBALANCE_IN_PROGRESS',
  'ILLEGAL_GENERATION',
  'UNKNOWN_MEMBER_ID',
  'FENCED_INSTANCE_ID',
]);

/**
 * A processor in a consumer group: reads record batches from the logs topic, writes them to the
 * store exactly once (see intent.ts) and dead-letters what the store refuses for good.
 */
export function createKafkaProcessor(
  store: LogStore,
  options: KafkaProcessorOptions,
  observe: WriterObserver & { lag(partition: number, lag: number): void },
): KafkaProcessor {
  const kafka = createKafkaClient({
    clientId: options.clientId,
    brokers: options.brokers,
    logLevel: logLevel.NOTHING,
    retry: { retries: 8, initialRetryTime: 200, maxRetryTime: 5_000 },
  });
  const consumer: Consumer = kafka.consumer({
    groupId: options.groupId,
    minBytes: options.fetchMinBytes,
    maxWaitTimeInMs: options.fetchMaxWaitMs,
    maxBytesPerPartition: Math.max(options.limits.maxBytes, 1024 * 1024),
    sessionTimeout: 30_000,
    heartbeatInterval: 3_000,
  });
  const admin: Admin = kafka.admin();
  const deadLetters: Producer = kafka.producer({
    idempotent: true,
    createPartitioner: Partitioners.DefaultPartitioner,
  });
  // Partitions whose committed metadata was read since this member last joined the group.
  let intents = new Map<number, Intent | undefined>();
  // Partitions this member reported lag for: once they move, their gauges must not keep the last value.
  const reported = new Set<number>();
  consumer.on(consumer.events.GROUP_JOIN, ({ payload }) => {
    intents = new Map();
    const owned = new Set(payload.memberAssignment[options.topic] ?? []);
    for (const p of [...reported].filter((p) => !owned.has(p))) {
      observe.lag(p, 0);
      observe.pausedChanged(p, false);
      reported.delete(p);
    }
  });

  const intentFor = async (partition: number): Promise<Intent | undefined> => {
    if (intents.has(partition)) return intents.get(partition);
    const [topic] = await admin.fetchOffsets({ groupId: options.groupId, topics: [options.topic] });
    for (const p of topic?.partitions ?? []) intents.set(p.partition, decodeIntent(p.offset, p.metadata));
    return intents.get(partition);
  };

  const sendDeadLetters = async (letters: DeadLetter[]) => {
    await deadLetters.send({
      topic: options.deadLetterTopic,
      acks: -1,
      messages: letters.map((l) => ({
        key: `${l.tenant}`,
        value: l.value,
        headers: {
          tenant: l.tenant,
          'dlq.error': l.error,
          'dlq.source.topic': l.topic,
          'dlq.source.partition': String(l.partition),
          'dlq.source.offset': String(l.offset),
          'dlq.attempts': String(l.attempts),
          'dlq.at': new Date().toISOString(),
        },
      })),
    });
  };

  // Messages not yet stored, from `next` to the end of the partition; refreshed while a batch
  // waits for the store, so the lag grows during an outage instead of freezing at the fetch.
  const reportLag = async (partition: number, next: bigint) => {
    const high = (await admin.fetchTopicOffsets(options.topic)).find((p) => p.partition === partition)?.high;
    if (high !== undefined) observe.lag(partition, Number(BigInt(high) - next));
  };

  const eachBatch = async (payload: EachBatchPayload) => {
    const { batch } = payload;
    const partition = batch.partition;
    const messages: SourceMessage[] = batch.messages.map((m) => ({
      offset: BigInt(m.offset),
      value: m.value ?? Buffer.alloc(0),
      rows: Number(m.headers?.['rows']?.toString() ?? '1'),
      tenant: m.headers?.['tenant']?.toString() ?? '',
      trace: traceHeaders(m.headers),
      idempotency: readIdempotency(m.headers),
    }));
    let next = messages[0]?.offset ?? BigInt(batch.highWatermark);
    reported.add(partition);
    observe.lag(partition, Number(BigInt(batch.highWatermark) - next));
    const intent = await intentFor(partition);
    const { batches } = cutBatches(messages, options.limits, intent);
    let resume: (() => void) | undefined;
    // A heartbeat answering that the group rebalances means the partition may be someone else's
    // soon: abandon the batch (its intent is committed, the next owner replays it) rather than
    // hold the whole group up until the rebalance times out.
    let rebalancing = false;
    const heartbeat = async () => {
      const [beat] = await Promise.allSettled([payload.heartbeat(), reportLag(partition, next)]);
      if (beat.status === 'fulfilled') return;
      if (isMembershipError(beat.reason)) rebalancing = true;
      throw beat.reason;
    };
    for (const group of batches) {
      const ok = await writeBatch(
        {
          topic: options.topic,
          insert: (data, token, sources) =>
            tracedInsert(store, data, token, sources, { 'messaging.destination.partition.id': String(partition) }),
          isTransient: isRetryable,
          commit: (p, offset, metadata) => commit(consumer, options.topic, p, offset, metadata),
          deadLetter: sendDeadLetters,
          heartbeat,
          shouldStop: () => rebalancing || !payload.isRunning() || payload.isStale(),
          backoff: options.backoff,
          ...(options.keys ? { keys: options.keys } : {}),
          observe: {
            ...observe,
            pausedChanged(p, paused) {
              observe.pausedChanged(p, paused);
              if (paused) resume ??= payload.pause();
              else {
                resume?.();
                resume = undefined;
              }
            },
          },
        },
        partition,
        group,
      );
      if (!ok) {
        // kafkajs keeps a partition paused across rebalances: never leave one paused behind.
        if (resume) observe.pausedChanged(partition, false);
        resume?.();
        return;
      }
      intents.set(partition, undefined);
      payload.resolveOffset(String(group.at(-1)!.offset));
      next = group.at(-1)!.offset + 1n;
      observe.lag(partition, Number(BigInt(batch.highWatermark) - next));
    }
  };

  const run = () =>
    consumer.run({
      autoCommit: false,
      eachBatchAutoResolve: false,
      partitionsConsumedConcurrently: options.partitionsConcurrently,
      eachBatch,
    });
  // kafkajs restarts its consumer after errors it deems retriable but gives up for good after
  // others that are just as passing, e.g. KafkaJSGroupCoordinatorNotFound when the broker dies at
  // the wrong moment; a processor that stops consuming but stays up would hold nothing and say so
  // nowhere. Restart those too, with backoff.
  let stopped = false;
  let crashes = 0;
  let restartTimer: NodeJS.Timeout | undefined;
  const restart = () => {
    restartTimer = setTimeout(
      () => {
        if (stopped) return;
        consumer
          .connect()
          .then(run)
          .catch((err: Error) => {
            options.onCrash?.(err);
            if (!stopped) restart();
          });
      },
      backoffDelay(options.backoff, ++crashes),
    );
  };
  consumer.on(consumer.events.CRASH, ({ payload }) => {
    options.onCrash?.(payload.error);
    if (!payload.restart && !stopped) restart();
  });
  consumer.on(consumer.events.GROUP_JOIN, () => (crashes = 0));

  return {
    async start() {
      await admin.connect();
      // On a first install the setup Job may create the topics after the processor starts: waiting for them keeps
      // the pod running (and not ready) instead of crashing into kubelet's restart backoff.
      for (let attempt = 1; !(await admin.listTopics()).includes(options.topic); attempt++) {
        if (stopped) return;
        options.onWaiting?.(`topic ${options.topic} does not exist yet`);
        await new Promise((resolve) => setTimeout(resolve, backoffDelay(options.backoff, attempt)));
      }
      if (stopped) return;
      await deadLetters.connect();
      await consumer.connect();
      await consumer.subscribe({ topic: options.topic, fromBeginning: true });
      await run();
    },
    async stop() {
      stopped = true;
      clearTimeout(restartTimer);
      await consumer.disconnect();
      await deadLetters.disconnect();
      await admin.disconnect();
    },
  };
}

async function commit(
  consumer: Consumer,
  topic: string,
  partition: number,
  offset: bigint,
  metadata: string | null,
): Promise<void> {
  try {
    await consumer.commitOffsets([{ topic, partition, offset: offset.toString(), metadata }]);
  } catch (err) {
    if (isMembershipError(err)) throw new GroupMembershipLost(err);
    throw err;
  }
}

/** Pure: whether Kafka said this member no longer owns its partitions, also when kafkajs' retrier wrapped that error (the type is then on the cause). */
export function isMembershipError(err: unknown): boolean {
  for (
    let e = err as { type?: string; cause?: unknown } | undefined, depth = 0;
    e && depth < 5;
    e = e.cause as typeof e, depth++
  ) {
    if (MEMBERSHIP_ERRORS.has(e.type ?? '')) return true;
  }
  return false;
}

function traceHeaders(
  headers: Record<string, Buffer | string | (Buffer | string)[] | undefined> | undefined,
): Record<string, string> | undefined {
  const traceparent = headers?.['traceparent']?.toString();
  if (!traceparent) return undefined;
  const tracestate = headers?.['tracestate']?.toString();
  return tracestate ? { traceparent, tracestate } : { traceparent };
}
