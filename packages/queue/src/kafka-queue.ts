import { CompressionTypes, logLevel, Partitioners, type Message, type PartitionMetadata, type Producer } from 'kafkajs';
import { createKafkaClient } from './kafka-client.ts';
import { QueueFullError, QueueUnavailableError, type LogQueue, type RecordChunk } from './queue.ts';
import { MAX_MESSAGE_BYTES } from './kafka-messages.ts';
import { keyedMessages } from './kafka-idempotency.ts';

export type KafkaCompression = 'zstd' | 'gzip' | 'none';

const CODECS: Record<KafkaCompression, CompressionTypes> = {
  zstd: CompressionTypes.ZSTD,
  gzip: CompressionTypes.GZIP,
  none: CompressionTypes.None,
};

// Kafka refuses a partition's record batch over the topic's max.message.bytes (1 MiB by default), and kafkajs cannot
// recover from that refusal: it rolls back the sequence numbers of every partition in the request, also those the
// broker took, and the idempotent producer is out of order from then on. So a produce request never carries more than
// this many bytes (before compression) for any one partition.
const MAX_PARTITION_BYTES = MAX_MESSAGE_BYTES;

export interface KafkaQueueOptions {
  brokers: string[];
  topic: string;
  clientId: string;
  /** Bytes of records sent and not yet acknowledged; beyond it publish answers QueueFullError. */
  maxInFlightBytes: number;
  /** How long one publish may wait for the broker before it is reported unavailable. */
  sendTimeoutMs: number;
  compression: KafkaCompression;
}

export interface KafkaQueue extends LogQueue {
  connect(): Promise<void>;
  /** Bytes sent and not yet acknowledged. */
  inFlightBytes(): number;
  /** Produce requests made so far (each may carry the records of many publishes). */
  sends(): number;
  /** Producers made so far: one more after each failed request (see produce). */
  producers(): number;
}

export interface Outgoing extends Message {
  value: Buffer;
  /** Where the partitioner will put it, by kafkajs' latest partition count (0 before the first send). */
  partition: number;
}

interface Waiting {
  messages: Outgoing[];
  /** Set once its records are in a produce request; a deadline that passes before that withdraws it unsent. */
  taken: boolean;
  done(err?: unknown): void;
}

/**
 * The collector's queue in production: an idempotent producer with acks=all. publish resolves only
 * after every partition leader and its in-sync replicas have the records.
 *
 * Publishes are group-committed: kafkajs lets an idempotent producer have one produce request per broker in flight,
 * so each request used to wait behind every other's compression and round trip. Instead, everything that arrives
 * while a send is in flight goes out together in the next one, and each publish resolves with the send that carried
 * its records. The ack still means the broker has them; requests just share the trip.
 */
export function createKafkaQueue(options: KafkaQueueOptions): KafkaQueue {
  // Bounded, so a broker outage turns into a 503 instead of a request that never ends, and scaled
  // to the publish deadline so the producer gives up before it: a send abandoned at the deadline
  // goes on retrying in the background, can land after the 503, and the client's retry then
  // stores the records twice. A 10 s deadline gives 100 ms → 2 s (about 6–7 s to give up).
  const retry = {
    retries: 5,
    initialRetryTime: Math.max(10, Math.round(options.sendTimeoutMs / 100)),
    maxRetryTime: Math.max(50, Math.round(options.sendTimeoutMs / 5)),
  };
  const kafka = createKafkaClient({
    clientId: options.clientId,
    brokers: options.brokers,
    logLevel: logLevel.NOTHING,
    retry,
    connectionTimeout: Math.min(3_000, Math.round(options.sendTimeoutMs / 3)),
  });
  // kafkajs partitions each send with its current metadata; the count it saw last lets publish tell which partition a
  // key will go to (the same murmur2 hash), so that sends can be packed under the per-partition limit.
  let partitionCount = 0;
  const makeProducer = (): Producer =>
    kafka.producer({
      idempotent: true,
      maxInFlightRequests: 5,
      createPartitioner: () => {
        const partition = Partitioners.DefaultPartitioner();
        return (args) => {
          partitionCount = args.partitionMetadata.length;
          return partition(args);
        };
      },
      retry,
    });
  let producer = makeProducer();
  let producers = 1;
  let producerConnected = false;
  const byKey = Partitioners.DefaultPartitioner();
  const partitionOf = (key: string) =>
    partitionCount > 0
      ? byKey({
          topic: options.topic,
          partitionMetadata: partitionsStub(partitionCount),
          message: { key, value: null },
        })
      : 0;
  let inFlight = 0;
  let connected = false;
  let sends = 0;
  let waiting: Waiting[] = [];
  let pumping = false;

  const produce = async (messages: Outgoing[]) => {
    if (!producerConnected) {
      await producer.connect();
      producerConnected = true;
    }
    sends++;
    try {
      await producer.send({
        topic: options.topic,
        acks: -1,
        timeout: options.sendTimeoutMs,
        compression: CODECS[options.compression],
        // The partition is left to kafkajs, whose metadata is fresher than the count the packing used.
        messages: messages.map(({ partition: _, ...message }) => message),
      });
    } catch (err) {
      // kafkajs rolls back the sequence numbers of a failed request, also for partitions the broker did append
      // (the broker died before it answered). The next request would reuse them, and the broker would take a batch
      // of other records for a duplicate of that one: acknowledged, never stored. A new producer has a new producer
      // id, so nothing sent after a failure can be mistaken for what was sent before it.
      const failed = producer;
      producer = makeProducer();
      producers++;
      producerConnected = false;
      void failed.disconnect().catch(() => {});
      throw err;
    }
  };

  const pump = async () => {
    pumping = true;
    while (waiting.length > 0) {
      const group: Waiting[] = [];
      const load = new Map<number, number>();
      while (waiting.length > 0 && (group.length === 0 || fits(load, waiting[0]!.messages))) {
        const next = waiting.shift()!;
        next.taken = true;
        addLoad(load, next.messages);
        group.push(next);
      }
      try {
        // One request unless a lone publish is over the limit itself (a large body of one service).
        for (const part of pack(group.flatMap((w) => w.messages))) await produce(part);
        for (const w of group) w.done();
      } catch (err) {
        for (const w of group) w.done(err);
      }
    }
    pumping = false;
  };

  const send = (chunk: RecordChunk, entry: Omit<Waiting, 'messages' | 'done'>) =>
    new Promise<void>((resolve, reject) => {
      // The trace context rides along so the processor's insert span can link back to the request.
      const headers = { ...chunk.trace, tenant: chunk.tenant };
      const messages = keyedMessages(chunk).map((m) => ({
        key: m.key,
        value: m.value,
        headers: { ...headers, ...m.headers, rows: String(m.rows) },
        partition: partitionOf(m.key),
      }));
      const w = Object.assign(entry, { messages, done: (err?: unknown) => (err ? reject(err) : resolve()) });
      waiting.push(w);
      if (!pumping) void pump();
    });

  return {
    async connect() {
      await producer.connect();
      producerConnected = true;
      connected = true;
    },
    async publish(chunk) {
      const bytes = chunk.data.length;
      if (inFlight > 0 && inFlight + bytes > options.maxInFlightBytes) {
        throw new QueueFullError(`Cannot accept ${chunk.rows} records: ${inFlight} bytes are waiting for the broker`);
      }
      inFlight += bytes;
      const entry = { taken: false };
      let timer: NodeJS.Timeout | undefined;
      try {
        const deadline = new Promise<never>((_, reject) => {
          timer = setTimeout(() => {
            if (!entry.taken) waiting = waiting.filter((w) => w !== entry);
            reject(new Error(`no acknowledgement from Kafka within ${options.sendTimeoutMs} ms`));
          }, options.sendTimeoutMs);
        });
        await Promise.race([send(chunk, entry), deadline]);
      } catch (err) {
        throw new QueueUnavailableError(`Kafka did not acknowledge the records: ${(err as Error).message}`, {
          cause: err,
          retryAfterSeconds: 5,
        });
      } finally {
        clearTimeout(timer);
        inFlight -= bytes;
      }
    },
    // Ready while connected even if the broker is away: clients are better served by a 503 with
    // Retry-After from here than by finding no endpoint at all.
    ready: async () => connected,
    inFlightBytes: () => inFlight,
    sends: () => sends,
    producers: () => producers,
    async close() {
      connected = false;
      await producer.disconnect();
    },
  };
}

function addLoad(load: Map<number, number>, messages: readonly Outgoing[]): void {
  for (const m of messages) load.set(m.partition, (load.get(m.partition) ?? 0) + m.value.length);
}

function fits(load: ReadonlyMap<number, number>, messages: readonly Outgoing[]): boolean {
  const extra = new Map<number, number>();
  addLoad(extra, messages);
  for (const [partition, bytes] of extra) if ((load.get(partition) ?? 0) + bytes > MAX_PARTITION_BYTES) return false;
  return true;
}

/** Pure: messages in order, cut into requests that each stay under the per-partition limit (a message alone always fits). */
export function pack(messages: readonly Outgoing[]): Outgoing[][] {
  const parts: Outgoing[][] = [];
  let current: Outgoing[] = [];
  let load = new Map<number, number>();
  for (const m of messages) {
    if (current.length > 0 && !fits(load, [m])) {
      parts.push(current);
      current = [];
      load = new Map();
    }
    current.push(m);
    addLoad(load, [m]);
  }
  if (current.length > 0) parts.push(current);
  return parts;
}

// The partitioner reads only the length of the metadata for a keyed message.
const stubs = new Map<number, PartitionMetadata[]>();
function partitionsStub(count: number): PartitionMetadata[] {
  let stub = stubs.get(count);
  if (!stub) {
    stub = Array.from({ length: count }, (_, partitionId) => ({
      partitionId,
      leader: 0,
      partitionErrorCode: 0,
      replicas: [0],
      isr: [0],
    }));
    stubs.set(count, stub);
  }
  return stub;
}
