import { CompressionTypes, logLevel, Partitioners, type Producer } from 'kafkajs';
import { createKafkaClient } from './kafka-client.ts';
import { QueueFullError, QueueUnavailableError, type LogQueue } from './queue.ts';
import { toLogMessages } from './kafka-messages.ts';

export interface KafkaQueueOptions {
  brokers: string[];
  topic: string;
  clientId: string;
  /** Bytes of records sent and not yet acknowledged; beyond it publish answers QueueFullError. */
  maxInFlightBytes: number;
  /** How long one publish may wait for the broker before it is reported unavailable. */
  sendTimeoutMs: number;
  compression: 'gzip' | 'none';
}

export interface KafkaQueue extends LogQueue {
  connect(): Promise<void>;
  /** Bytes sent and not yet acknowledged. */
  inFlightBytes(): number;
}

/**
 * The collector's queue in production: an idempotent producer with acks=all. publish resolves only
 * after every partition leader and its in-sync replicas have the records.
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
  const producer: Producer = kafka.producer({
    idempotent: true,
    maxInFlightRequests: 5,
    createPartitioner: Partitioners.DefaultPartitioner,
    retry,
  });
  let inFlight = 0;
  let connected = false;

  const send = async (chunk: Parameters<LogQueue['publish']>[0]) => {
    // The trace context rides along so the processor's insert span can link back to the request.
    const headers = { ...chunk.trace, tenant: chunk.tenant };
    const messages = toLogMessages(chunk).map((m) => ({
      key: m.key,
      value: m.value,
      headers: { ...headers, rows: String(m.rows) },
    }));
    await producer.send({
      topic: options.topic,
      acks: -1,
      timeout: options.sendTimeoutMs,
      compression: options.compression === 'gzip' ? CompressionTypes.GZIP : CompressionTypes.None,
      messages,
    });
  };

  return {
    async connect() {
      await producer.connect();
      connected = true;
    },
    async publish(chunk) {
      const bytes = chunk.data.length;
      if (inFlight > 0 && inFlight + bytes > options.maxInFlightBytes) {
        throw new QueueFullError(`Cannot accept ${chunk.rows} records: ${inFlight} bytes are waiting for the broker`);
      }
      inFlight += bytes;
      let timer: NodeJS.Timeout | undefined;
      try {
        const deadline = new Promise<never>((_, reject) => {
          timer = setTimeout(
            () => reject(new Error(`no acknowledgement from Kafka within ${options.sendTimeoutMs} ms`)),
            options.sendTimeoutMs,
          );
        });
        await Promise.race([send(chunk), deadline]);
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
    async close() {
      connected = false;
      await producer.disconnect();
    },
  };
}
