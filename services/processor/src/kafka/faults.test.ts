import { after, before, test, type TestContext } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createHttpTransport, createLogStore, type ClickHouseTransport } from '@instant-logs/store';
import {
  startClickHouseServer,
  startKafkaBroker,
  type ClickHouseServer,
  type KafkaBroker,
} from '@instant-logs/testbed';
import {
  exactlyOnceProblems,
  groupWatcher,
  queriedMarkers,
  scrape,
  SERVICE_MAINS,
  startIngest,
  startService,
  waitFor,
  type IngestLog,
  type ServiceProcess,
} from './test-processes.ts';

// The Kafka pipeline under faults, every service in its own process as in production:
// HTTP client → collector → Kafka → processor group → ClickHouse ← query service.
// Each test ends with the same check: every record that got a 202 is stored exactly once, and
// nothing else is, except records whose request was not acknowledged (at most once each). The
// client resends a batch with the Idempotency-Key it first sent, so a resent batch is stored once too.
const KEY = 'fault-suite-key-0001';
let broker: KafkaBroker;
let clickhouse: ClickHouseServer;
let clickhouseDir: string;
let transport: ClickHouseTransport;
let watcher: ReturnType<typeof groupWatcher>;
const running = new Set<ServiceProcess>();

before(async () => {
  clickhouseDir = await mkdtemp(join(tmpdir(), 'faults-clickhouse-'));
  [broker, clickhouse] = await Promise.all([startKafkaBroker(), startClickHouseServer({ dataDir: clickhouseDir })]);
  transport = createHttpTransport({ url: clickhouse.url });
  watcher = groupWatcher([broker.bootstrap]);
});
after(async () => {
  await Promise.all([...running].map((p) => p.stop(5_000)));
  await Promise.all([watcher.close(), transport.close()]);
  await Promise.all([broker.stop(), clickhouse.stop()]);
  await rm(clickhouseDir, { recursive: true, force: true });
});

interface Pipeline {
  /** Aborted when the test ends, whether it passed or not. */
  signal: AbortSignal;
  topic: string;
  group: string;
  db: string;
  collector: ServiceProcess;
  query: ServiceProcess;
  processors: ServiceProcess[];
  startProcessor(): Promise<ServiceProcess>;
}

/** Fresh topics, database and group, and the services on them; stopped when the test ends. */
async function pipeline(t: TestContext, name: string, { processors = 1, partitions = 3 } = {}): Promise<Pipeline> {
  const topic = `${name}-logs`;
  const group = `${name}-processors`;
  const db = name.replace(/-/g, '_');
  await broker.createTopic(topic, { partitions });
  await broker.createTopic(`${topic}-dlq`, { partitions: 1 });
  await createLogStore(transport, db).migrate();
  const mine = new Set<ServiceProcess>();
  t.after(() => Promise.all([...mine].map((p) => p.stop(10_000))));
  const service = async (kind: keyof typeof SERVICE_MAINS, env: Record<string, string>, readyLine?: RegExp) => {
    const p = await startService(
      kind,
      SERVICE_MAINS[kind],
      { HOST: '127.0.0.1', PORT: '0', ...env },
      readyLine ? { readyLine } : {},
    );
    running.add(p);
    mine.add(p);
    void p.exited.then(() => running.delete(p));
    return p;
  };
  const all: ServiceProcess[] = [];
  const startProcessor = async () => {
    const processor = await service(
      'processor',
      {
        KAFKA_BROKERS: broker.bootstrap,
        KAFKA_TOPIC: topic,
        KAFKA_DEAD_LETTER_TOPIC: `${topic}-dlq`,
        KAFKA_GROUP_ID: group,
        CLICKHOUSE_URL: clickhouse.url,
        CLICKHOUSE_DATABASE: db,
        BATCH_MAX_ROWS: '500',
        BATCH_MAX_WAIT_MS: '100',
        RETRY_INITIAL_MS: '100',
        RETRY_MAX_MS: '1000',
      },
      /Joined the consumer group/,
    );
    all.push(processor);
    return processor;
  };
  const [collector, query] = await Promise.all([
    service('collector', {
      KAFKA_BROKERS: broker.bootstrap,
      KAFKA_TOPIC: topic,
      API_KEYS: `${KEY}:faults`,
      KAFKA_SEND_TIMEOUT_MS: '3000',
    }),
    service('query', { CLICKHOUSE_URL: clickhouse.url, CLICKHOUSE_DATABASE: db, API_KEYS: `${KEY}:faults` }),
    ...Array.from({ length: processors }, startProcessor),
  ]);
  // Every processor this pipeline started, in the order they became ready (a restarted one last).
  const ended = new AbortController();
  t.after(() => ended.abort());
  return {
    signal: ended.signal,
    topic,
    group,
    db,
    collector: collector!,
    query: query!,
    processors: all,
    startProcessor,
  };
}

const ingest = (
  p: Pipeline,
  prefix: string,
  total: number,
  { pauseMs = 15, log }: { pauseMs?: number; log?: IngestLog } = {},
) =>
  startIngest({
    url: p.collector.url,
    apiKey: KEY,
    prefix,
    total,
    batchSize: 50,
    concurrency: 2,
    pauseMs,
    signal: p.signal,
    ...(log ? { log } : {}),
  });

/** Waits until the group has committed to the end of every partition, then checks the stored markers. */
async function assertExactlyOnce(t: TestContext, p: Pipeline, log: IngestLog): Promise<void> {
  await waitFor(
    'the processors to commit to the end of the topic',
    async () => {
      const at = await watcher.position(p.group, p.topic).catch(() => undefined);
      return at && at.behind === 0 && at.intents.length === 0 ? true : undefined;
    },
    90_000,
  ).catch((err: Error) => {
    const tails = p.processors.map((proc) => `--- processor ${proc.pid} ---\n${proc.output().slice(-3000)}`);
    throw new Error(`${err.message}\n${tails.join('\n')}`);
  });
  const crashes = p.processors.flatMap((proc) =>
    proc
      .output()
      .split('\n')
      .filter((l) => l.includes('Kafka consumer crashed'))
      .map((l) => /"type":"(\w+)"/.exec(l)?.[1]),
  );
  if (crashes.length > 0) t.diagnostic(`consumer crashes, each followed by a restart: ${crashes.join(', ')}`);
  const markers = await queriedMarkers(p.query.url, KEY);
  const [direct] = await transport.query<{ rows: string }>(`SELECT count() AS rows FROM ${p.db}.logs`);
  t.diagnostic(
    `acknowledged ${log.acknowledged.size}, unacknowledged ${[...log.unacknowledged].filter((m) => !log.acknowledged.has(m)).length}, resent with their key and acknowledged ${[...log.unacknowledged].filter((m) => log.acknowledged.has(m)).length}, stored ${markers.length}, answers ${JSON.stringify([...log.statuses])}`,
  );
  const problems = exactlyOnceProblems(markers, log);
  if (problems.length > 0) {
    // Same id twice: the pipeline stored one request twice. Different ids: two requests (a client retry) both landed.
    const twice = await transport.query(
      `SELECT attributes['marker'] AS marker, groupArray(id) AS ids, groupArray(toString(observed_timestamp)) AS received FROM ${p.db}.logs GROUP BY marker HAVING count() > 1 LIMIT 3`,
    );
    problems.push(`examples: ${JSON.stringify(twice)}`);
  }
  assert.deepEqual(problems, []);
  assert.equal(Number(direct!.rows), markers.length, 'the query service sees every row ClickHouse holds');
}

const acknowledged = (log: IngestLog, n: number) => () => (log.acknowledged.size >= n ? true : undefined);

test('a broker killed and restarted mid-stream loses and duplicates nothing acknowledged', async (t) => {
  const p = await pipeline(t, 'broker-kill');
  const { log, done } = ingest(p, 'bk', 3000);
  await waitFor('a third of the records acknowledged', acknowledged(log, 1000));
  await broker.kill();
  await waitFor('the client to see the outage', () => (log.unacknowledged.size > 0 ? true : undefined), 30_000, 20);
  await broker.restart();
  await done;
  await assertExactlyOnce(t, p, log);
});

test('a processor killed mid-batch is replaced and its batch is stored once', async (t) => {
  const p = await pipeline(t, 'processor-kill');
  const { log, done } = ingest(p, 'pk', 4000);
  await waitFor('some records acknowledged', acknowledged(log, 500));
  // Freeze the processor between its intent commit and its final commit, then kill it there.
  const victim = p.processors[0]!;
  const caught = await waitFor(
    'the processor to be caught mid-batch',
    async () => {
      if (!(await watcher.position(p.group, p.topic).catch(() => undefined))?.intents.length) return undefined;
      victim.signal('SIGSTOP');
      const intents = (await watcher.position(p.group, p.topic).catch(() => undefined))?.intents ?? [];
      if (intents.length > 0) return intents;
      victim.signal('SIGCONT');
      return undefined;
    },
    60_000,
    5,
  );
  victim.signal('SIGKILL');
  await victim.exited;
  t.diagnostic(`killed with intents on partitions ${caught.join(', ')}`);
  await p.startProcessor();
  await done;
  await assertExactlyOnce(t, p, log);
});

test('a processor stopped mid-stream hands its partitions to the other and nothing is lost', async (t) => {
  const p = await pipeline(t, 'rebalance', { processors: 2, partitions: 4 });
  const [leaving, staying] = p.processors as [ServiceProcess, ServiceProcess];
  const { log, done } = ingest(p, 'rb', 4000, { pauseMs: 100 });
  const owned = async (proc: ServiceProcess) => (await scrape(proc.url, 'instant_logs_processor_consumer_lag')).size;
  await waitFor('both processors to consume', async () =>
    (await owned(leaving)) > 0 && (await owned(staying)) > 0 && log.acknowledged.size >= 1000 ? true : undefined,
  );
  assert.ok((await owned(staying)) < 4, 'the partitions were shared before the stop');
  assert.deepEqual(await leaving.stop(), { code: 0, signal: null }, 'SIGTERM stops the processor cleanly');
  await done;
  await assertExactlyOnce(t, p, log);
  assert.equal(await owned(staying), 4, 'the remaining processor consumed every partition');
});

test('a ClickHouse outage pauses the partitions, lag grows, and drains after the restart', async (t) => {
  const p = await pipeline(t, 'clickhouse-outage');
  const processor = p.processors[0]!;
  const { log, done } = ingest(p, 'ch', 3000);
  await waitFor('some records acknowledged', acknowledged(log, 500));
  clickhouse.kill();
  const restart = async () => {
    clickhouse = await startClickHouseServer({ dataDir: clickhouseDir, port: clickhouse.port });
  };
  let restarted: Promise<void> | undefined;
  t.after(() => (restarted ??= restart())); // also when an assertion below fails
  const lag = async () => Math.max(0, ...(await scrape(processor.url, 'instant_logs_processor_consumer_lag')).values());
  const paused = async () =>
    Math.max(0, ...(await scrape(processor.url, 'instant_logs_processor_partition_paused')).values());
  await waitFor(
    'a partition paused during the outage',
    async () => ((await paused()) === 1 ? true : undefined),
    30_000,
  );
  const lagDuring = await waitFor('lag during the outage', async () => {
    const l = await lag();
    return l > 0 ? l : undefined;
  });
  await waitFor('more records acknowledged during the outage', acknowledged(log, log.acknowledged.size + 500));
  // The stuck partition's lag is refreshed with each heartbeat of its retries (about once a second), which 500 records may outrun.
  const lagLater = await waitFor('lag growing while the store is down', async () => {
    const l = await lag();
    return l > lagDuring ? l : undefined;
  });
  t.diagnostic(`lag during the outage: ${lagDuring} then ${lagLater}`);
  await (restarted ??= restart());
  await done;
  await waitFor(
    'lag drained and partitions resumed',
    async () => ((await lag()) === 0 && (await paused()) === 0 ? true : undefined),
    90_000,
  );
  await assertExactlyOnce(t, p, log);
});

test('a processor joining during a ClickHouse outage is let in promptly and nothing is lost', async (t) => {
  const p = await pipeline(t, 'outage-rebalance', { partitions: 4 });
  const first = p.processors[0]!;
  const { log, done } = ingest(p, 'or', 2000, { pauseMs: 50 });
  await waitFor('some records acknowledged', acknowledged(log, 300));
  clickhouse.kill();
  const restart = async () => {
    clickhouse = await startClickHouseServer({ dataDir: clickhouseDir, port: clickhouse.port });
  };
  let restarted: Promise<void> | undefined;
  t.after(() => (restarted ??= restart()));
  const paused = async (proc: ServiceProcess) =>
    Math.max(0, ...(await scrape(proc.url, 'instant_logs_processor_partition_paused')).values());
  await waitFor(
    'the first processor to wait for the store',
    async () => ((await paused(first)) === 1 ? true : undefined),
    30_000,
  );
  // The member stuck retrying must give way to the rebalance rather than hold the group until
  // the rebalance timeout (60 s) evicts it.
  const joinStart = performance.now();
  const second = await p.startProcessor();
  const joinMs = performance.now() - joinStart;
  t.diagnostic(`the second processor joined in ${Math.round(joinMs)} ms`);
  assert.ok(joinMs < 30_000, `joined in ${Math.round(joinMs)} ms`);
  await (restarted ??= restart());
  await done;
  await assertExactlyOnce(t, p, log);
  const lag = async (proc: ServiceProcess) =>
    Math.max(0, ...(await scrape(proc.url, 'instant_logs_processor_consumer_lag')).values());
  assert.deepEqual([await paused(first), await paused(second)], [0, 0], 'no partition is left paused');
  assert.deepEqual([await lag(first), await lag(second)], [0, 0], 'no lag is left reported for a partition that moved');
});

test('with the broker down the collector answers 503 with Retry-After and every 202 before and after is stored', async (t) => {
  const p = await pipeline(t, 'broker-down');
  const first = ingest(p, 'before', 500);
  await first.done;
  assert.equal(first.log.acknowledged.size, 500);
  await broker.kill();
  const res = await fetch(`${p.collector.url}/api/v1/logs`, {
    method: 'POST',
    headers: { 'content-type': 'application/x-ndjson', authorization: `Bearer ${KEY}` },
    body: JSON.stringify({ service: 'svc', message: 'while the broker is down', attributes: { marker: 'down-0' } }),
  });
  assert.equal(res.status, 503);
  assert.match(res.headers.get('retry-after') ?? '', /^\d+$/);
  assert.equal(((await res.json()) as { error: { code: string } }).error.code, 'COLLECTOR_QUEUE_UNAVAILABLE');
  first.log.unacknowledged.add('down-0');
  const during = ingest(p, 'after', 1000, { log: first.log });
  await waitFor('retries answered 503', () => ((first.log.statuses.get(503) ?? 0) >= 2 ? true : undefined), 30_000, 20);
  await broker.restart();
  await during.done;
  await assertExactlyOnce(t, p, first.log);
});
