import { createWriteStream, type WriteStream } from 'node:fs';
import { mkdir } from 'node:fs/promises';
import { join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { stopOnSignals } from '@instant-logs/service-kit';
import { createHttpTransport, createLogStore } from '@instant-logs/store';
import {
  startClickHouseServer,
  startKafkaBroker,
  type ClickHouseServer,
  type KafkaBroker,
} from '@instant-logs/testbed';
import { SERVICE_MAINS, startService, type ServiceProcess } from '../services/processor/src/kafka/test-processes.ts';

// `make dev-kafka`: the production topology on one machine. A real Kafka broker and a ClickHouse
// server (both from the test bed), and the collector, processor and query service each in its own
// process as in a cluster, plus sample traffic. Ctrl-C (SIGINT) or SIGTERM stops it all in order.
const ROOT = fileURLToPath(new URL('..', import.meta.url));
const DATA = resolve(ROOT, '.data/kafka-dev');
const SAMPLE_APP = join(ROOT, 'services/sample-app/src/main.ts');
const env = (name: string, fallback: string) => process.env[name] || fallback;
const PORTS = {
  collector: Number(env('COLLECTOR_PORT', '8081')),
  query: Number(env('QUERY_PORT', '8082')),
  processor: Number(env('PROCESSOR_PORT', '8083')),
  kafka: Number(env('KAFKA_PORT', '9092')),
  clickhouse: Number(env('CLICKHOUSE_PORT', '8123')),
};
const TOPIC = 'instant-logs';
const DEAD_LETTER_TOPIC = 'instant-logs-dead-letter';
const DATABASE = 'instant_logs';
const RATE = env('SAMPLE_TRAFFIC_RATE', '200');

let broker: KafkaBroker | undefined;
let clickhouse: ClickHouseServer | undefined;
const services: ServiceProcess[] = [];
const logs: WriteStream[] = [];
let stopping: Promise<void> | undefined;

// Stops in dependency order: no new traffic, then no new records, then the consumers, then the stores.
function stop(reason?: string): Promise<void> {
  stopping ??= (async () => {
    if (reason) console.log(`\n${reason}: ${STOPPING}`);
    for (const name of ['sample-app', 'collector']) await services.find((s) => s.name === name)?.stop(10_000);
    await Promise.all(
      services.filter((s) => s.name !== 'sample-app' && s.name !== 'collector').map((s) => s.stop(15_000)),
    );
    await Promise.all([broker?.stop(), clickhouse?.stop()]);
    for (const log of logs) log.end();
    console.log('Stopped.');
  })();
  return stopping;
}
const STOPPING = 'stopping sample traffic, collector, processor, query, Kafka and ClickHouse…';
// The shared helper: a failure while stopping is reported and exits 1 instead of going unhandled.
const consoleLog = {
  info: (_fields: object, message: string) => console.log(message),
  error: (fields: object, message: string) => console.error(message, fields),
};
stopOnSignals(consoleLog, `\nReceived a stop signal: ${STOPPING}`, () => stop());

async function start(
  name: string,
  main: string,
  vars: Record<string, string>,
  options: { listens?: boolean; readyLine?: RegExp; args?: string[]; console?: boolean } = {},
) {
  const log = createWriteStream(join(DATA, 'logs', `${name}.log`), { flags: 'a' });
  logs.push(log);
  const onOutput = (text: string) => {
    log.write(text);
    if (options.console) for (const line of text.trimEnd().split('\n')) console.log(`[${name}] ${line}`);
  };
  const service = await startService(
    name,
    main,
    { HOST: '127.0.0.1', ...vars },
    { ...options, onOutput, timeoutMs: 120_000 },
  );
  services.push(service);
  // A service that dies on its own takes the whole setup down rather than leaving half a pipeline.
  void service.exited.then(({ code, signal }) => {
    if (!stopping)
      void stop(`${name} exited (${signal ?? `code ${code}`}); see ${join(DATA, 'logs', `${name}.log`)}`).then(() =>
        process.exit(1),
      );
  });
  return service;
}

async function main(): Promise<void> {
  await mkdir(join(DATA, 'logs'), { recursive: true });
  console.log(
    `Starting Kafka on 127.0.0.1:${PORTS.kafka} and ClickHouse on 127.0.0.1:${PORTS.clickhouse} (data under ${DATA})…`,
  );
  [broker, clickhouse] = await Promise.all([
    startKafkaBroker({ dataDir: join(DATA, 'kafka'), port: PORTS.kafka }),
    startClickHouseServer({ dataDir: join(DATA, 'clickhouse'), port: PORTS.clickhouse }),
  ]);
  for (const [name, partitions] of [
    [TOPIC, 6],
    [DEAD_LETTER_TOPIC, 1],
  ] as const) {
    await broker.createTopic(name, { partitions }).catch((err: Error) => {
      if (!/already exists/.test(err.message)) throw err; // kept from an earlier run
    });
  }
  const transport = createHttpTransport({ url: clickhouse.url });
  const { applied } = await createLogStore(transport, DATABASE).migrate();
  await transport.close();
  console.log(
    `Topics ${TOPIC} (6 partitions) and ${DEAD_LETTER_TOPIC} ready; database ${DATABASE} ${applied.length ? `migrated to version ${applied.at(-1)}` : 'up to date'}.`,
  );

  const kafkaEnv = { KAFKA_BROKERS: broker.bootstrap, KAFKA_TOPIC: TOPIC };
  const storeEnv = { CLICKHOUSE_URL: clickhouse.url, CLICKHOUSE_DATABASE: DATABASE };
  await Promise.all([
    start('collector', SERVICE_MAINS.collector, { ...kafkaEnv, PORT: String(PORTS.collector) }),
    start(
      'processor',
      SERVICE_MAINS.processor,
      { ...kafkaEnv, ...storeEnv, KAFKA_DEAD_LETTER_TOPIC: DEAD_LETTER_TOPIC, PORT: String(PORTS.processor) },
      { readyLine: /Joined the consumer group/ },
    ),
    start('query', SERVICE_MAINS.query, { ...storeEnv, PORT: String(PORTS.query) }),
  ]);
  if (Number(RATE) > 0) {
    await start(
      'sample-app',
      SAMPLE_APP,
      {},
      {
        listens: false,
        readyLine: /Started sample traffic/,
        args: ['--url', `http://127.0.0.1:${PORTS.collector}`, '--rate', RATE],
        console: true,
      },
    );
  }
  const c = `http://127.0.0.1:${PORTS.collector}`;
  const q = `http://127.0.0.1:${PORTS.query}`;
  console.log(`
  Collector   ${c}/api/v1/logs
  Query       ${q}/api/v1/logs
  Processor   http://127.0.0.1:${PORTS.processor}/metrics
  Kafka       ${broker.bootstrap}  topics ${TOPIC}, ${DEAD_LETTER_TOPIC}; group instant-logs-processor
  ClickHouse  ${clickhouse.url}  database ${DATABASE}
  Logs        ${join(DATA, 'logs')}/{collector,processor,query,sample-app}.log

  Ingest  curl -X POST ${c}/api/v1/logs -H 'content-type: application/json' -d '{"service":"my-app","level":"error","message":"payment failed: card declined"}'
  Search  curl '${q}/api/v1/logs?from=now-15m&q=service:my-app%20declined'
  Lag     curl -s http://127.0.0.1:${PORTS.processor}/metrics | grep -E 'consumer_lag|partition_paused'
  Replay  node services/processor/src/replay/main.ts --brokers ${broker.bootstrap} --from ${DEAD_LETTER_TOPIC} --to ${TOPIC} --dry-run

  Sample traffic: ${Number(RATE) > 0 ? `${RATE} records/s (SAMPLE_TRAFFIC_RATE=0 turns it off)` : 'off'}. Ctrl-C stops everything.
`);
}

main().catch(async (err: unknown) => {
  console.error(`Cannot start the Kafka pipeline: ${(err as Error).message}`);
  await stop('Start failed');
  process.exit(1);
});
