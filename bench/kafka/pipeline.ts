import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { Worker } from 'node:worker_threads';
import {
  startClickHouseServer,
  startKafkaBroker,
  type ClickHouseServer,
  type KafkaBroker,
} from '@instant-logs/testbed';
import { createHttpTransport, createLogStore } from '@instant-logs/store';
import {
  SERVICE_MAINS,
  scrape,
  startService,
  type ServiceProcess,
} from '../../services/processor/src/kafka/test-processes.ts';
import { cpuSeconds } from '../lib/stats.ts';
import type { KafkaLoadOptions, Sent } from './load-worker.ts';

// The production topology on this machine, as scripts/dev-kafka.ts starts it: a real broker, a
// ClickHouse server (libchdb), and collector, processor and query as separate processes.
export const TOPIC = 'instant-logs';
// As the Dockerfile's CMD runs collector and processor; KAFKA_BENCH_NODE_ARGS='' measures V8's default GC instead.
const IMAGE_NODE_ARGS = (process.env['KAFKA_BENCH_NODE_ARGS'] ?? '--single-threaded-gc --initial-heap-size=128')
  .split(' ')
  .filter(Boolean);
export const DATABASE = 'instant_logs';

export interface Pipeline {
  broker: KafkaBroker;
  clickhouse: ClickHouseServer;
  collector: ServiceProcess;
  processor: ServiceProcess;
  query: ServiceProcess;
  brokerPid: number;
  /** Runs SQL on the current ClickHouse server and returns the trimmed TSV answer. */
  sql(query: string): Promise<string>;
  /** SIGKILLs ClickHouse, waits for the exit; `restartClickHouse` brings it back on the same dir and port. */
  killClickHouse(): Promise<void>;
  restartClickHouse(): Promise<void>;
  /** Summed consumer lag (messages) from the processor's /metrics. */
  lag(): Promise<number>;
  /** CPU seconds so far of each process. */
  cpu(): Record<string, number>;
  stop(): Promise<void>;
}

/** Starts broker and ClickHouse in `dir`, creates the topics and schema, then the three services; `nodeOptions` go to collector and processor. */
export async function startPipeline(dir: string, nodeOptions: string): Promise<Pipeline> {
  // eslint-disable-next-line prefer-const -- clickhouse is replaced on restart, broker never is
  let [broker, clickhouse] = await Promise.all([
    startKafkaBroker({ dataDir: join(dir, 'kafka') }),
    startClickHouseServer({ dataDir: join(dir, 'clickhouse') }),
  ]);
  await broker.createTopic(TOPIC, { partitions: 6 });
  await broker.createTopic(`${TOPIC}-dead-letter`, { partitions: 1 });
  const transport = createHttpTransport({ url: clickhouse.url });
  await createLogStore(transport, DATABASE).migrate();
  await transport.close();
  const kafka = { KAFKA_BROKERS: broker.bootstrap, KAFKA_TOPIC: TOPIC, HOST: '127.0.0.1', PORT: '0', API_KEYS: '' };
  const store = { CLICKHOUSE_URL: clickhouse.url, CLICKHOUSE_DATABASE: DATABASE };
  const profiled: Record<string, string> = nodeOptions ? { NODE_OPTIONS: nodeOptions } : {};
  const [collector, processor, query] = await Promise.all([
    startService(
      'collector',
      SERVICE_MAINS.collector,
      { ...kafka, ...profiled },
      { timeoutMs: 120_000, nodeArgs: IMAGE_NODE_ARGS },
    ),
    startService(
      'processor',
      SERVICE_MAINS.processor,
      { ...kafka, ...store, ...profiled, KAFKA_DEAD_LETTER_TOPIC: `${TOPIC}-dead-letter` },
      { readyLine: /Joined the consumer group/, timeoutMs: 120_000, nodeArgs: IMAGE_NODE_ARGS },
    ),
    startService(
      'query',
      SERVICE_MAINS.query,
      { ...store, HOST: '127.0.0.1', PORT: '0', API_KEYS: '' },
      { timeoutMs: 120_000 },
    ),
  ]);
  const brokerPid = findPid(join(dir, 'kafka'));
  return {
    broker,
    get clickhouse() {
      return clickhouse;
    },
    collector,
    processor,
    query,
    brokerPid,
    async sql(q) {
      const res = await fetch(`${clickhouse.url}/?query=${encodeURIComponent(q)}`, {
        signal: AbortSignal.timeout(10_000),
      });
      const text = await res.text();
      if (res.status !== 200) throw new Error(`ClickHouse answered ${res.status}: ${text}`);
      return text.trim();
    },
    async killClickHouse() {
      clickhouse.kill();
      await clickhouse.stop();
    },
    async restartClickHouse() {
      clickhouse = await startClickHouseServer({ dataDir: clickhouse.dataDir, port: clickhouse.port });
    },
    async lag() {
      return [...(await scrape(processor.url, 'instant_logs_processor_consumer_lag')).values()].reduce(
        (a, b) => a + b,
        0,
      );
    },
    cpu() {
      const pids = {
        collector: collector.pid,
        processor: processor.pid,
        brokerJvm: brokerPid,
        clickhouse: clickhouse.pid,
        query: query.pid,
      };
      return Object.fromEntries(Object.entries(pids).map(([k, pid]) => [k, safeCpu(pid)]));
    },
    async stop() {
      await collector.stop(20_000);
      await Promise.all([processor.stop(30_000), query.stop(10_000)]);
      await Promise.all([broker.stop(), clickhouse.stop()]);
    },
  };
}

function safeCpu(pid: number): number {
  try {
    return cpuSeconds(pid);
  } catch {
    return NaN;
  }
}

/** The broker JVM: the process whose command line names its data directory. */
function findPid(marker: string): number {
  for (const pid of readdirSync('/proc').filter((p) => /^\d+$/.test(p))) {
    try {
      const cmd = readFileSync(`/proc/${pid}/cmdline`, 'utf8');
      if (cmd.includes('java') && cmd.includes(marker)) return Number(pid);
    } catch {
      // gone
    }
  }
  return -1;
}

/** A load worker with its bodies built; `run()` resolves with every request it sent. */
export async function prepareKafkaLoad(options: KafkaLoadOptions) {
  const worker = new Worker(new URL('./load-worker.ts', import.meta.url), { workerData: options });
  const failed = new Promise<never>((_, reject) => worker.once('error', reject));
  const message = <T>(kind: string) =>
    Promise.race([
      failed,
      new Promise<T>((resolve) => worker.on('message', (m: { kind: string } & T) => m.kind === kind && resolve(m))),
    ]);
  await message('ready');
  return {
    async run(): Promise<Sent[]> {
      worker.postMessage('start');
      const { sent } = await message<{ sent: Sent[] }>('done');
      await worker.terminate();
      return sent;
    },
    stop: () => worker.postMessage('stop'),
  };
}

/** Polls `check` every `everyMs` until it returns a value or `timeoutMs` passes (then undefined). */
export async function pollUntil<T>(
  check: () => Promise<T | undefined>,
  timeoutMs: number,
  everyMs = 200,
): Promise<T | undefined> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const v = await check().catch(() => undefined);
    if (v !== undefined) return v;
    if (Date.now() > deadline) return undefined;
    await new Promise((r) => setTimeout(r, everyMs));
  }
}
