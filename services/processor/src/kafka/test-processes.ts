import { spawn, type ChildProcess } from 'node:child_process';
import { createHash } from 'node:crypto';
import { setTimeout as delay } from 'node:timers/promises';
import { fileURLToPath } from 'node:url';
import { Kafka, logLevel } from 'kafkajs';
import { decodeIntent } from './intent.ts';
import { freePort, waitUntil } from '@instant-logs/testbed';

// Test harness: the services as the separate processes they are in production (each its own
// main.ts, configured by environment), an HTTP ingest client with honest acknowledgement
// bookkeeping, and the polls the fault tests assert with.

export const SERVICE_MAINS = {
  collector: fileURLToPath(new URL('../../../collector/src/main.ts', import.meta.url)),
  processor: fileURLToPath(new URL('../main.ts', import.meta.url)),
  query: fileURLToPath(new URL('../../../query/src/main.ts', import.meta.url)),
  replay: fileURLToPath(new URL('../replay/main.ts', import.meta.url)),
} as const;

export interface ServiceProcess {
  name: string;
  /** `http://127.0.0.1:<port>` as the service logged it ('' for a process that does not listen). */
  url: string;
  pid: number;
  exited: Promise<{ code: number | null; signal: NodeJS.Signals | null }>;
  /** The last 64 KiB of stdout and stderr, for failure messages. */
  output(): string;
  signal(signal: NodeJS.Signals): void;
  /** SIGTERM, then SIGKILL after `graceMs`; resolves with the exit. */
  stop(graceMs?: number): Promise<{ code: number | null; signal: NodeJS.Signals | null }>;
}

export interface StartOptions {
  /** Also wait for this in the output (e.g. "Joined the consumer group"). */
  readyLine?: RegExp;
  /** false for a process without an HTTP server: then only `readyLine` is awaited. */
  listens?: boolean;
  args?: string[];
  /** Node's own flags, before the main module (e.g. --single-threaded-gc, which NODE_OPTIONS does not take). */
  nodeArgs?: string[];
  /** Receives all output as it arrives. */
  onOutput?: (text: string) => void;
  timeoutMs?: number;
}

/**
 * Spawns `node <main>` with `env` on top of this process's environment and resolves once it logged
 * "Server listening at …" (and `readyLine`, if given). It dies with this process, however this one dies.
 */
export async function startService(
  name: string,
  main: string,
  env: Record<string, string>,
  options: StartOptions = {},
): Promise<ServiceProcess> {
  const child = spawn(process.execPath, [...(options.nodeArgs ?? []), main, ...(options.args ?? [])], {
    env: { ...process.env, LOG_LEVEL: 'info', ...env },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let output = '';
  let url: string | undefined = options.listens === false ? '' : undefined;
  let ready = options.readyLine === undefined;
  const collect = (s: string) => {
    options.onOutput?.(s);
    output = (output + s).slice(-65_536);
    url ??= /Server listening at (http:\/\/127\.0\.0\.1:\d+)/.exec(output)?.[1];
    ready ||= options.readyLine!.test(output);
  };
  child.stdout!.setEncoding('utf8').on('data', collect);
  child.stderr!.setEncoding('utf8').on('data', collect);
  const watchdog = parentDeathWatchdog(child);
  let done = false;
  const exited = new Promise<{ code: number | null; signal: NodeJS.Signals | null }>((resolve) => {
    child.once('exit', (code, signal) => ((done = true), watchdog?.kill('SIGKILL'), resolve({ code, signal })));
  });
  const deadline = Date.now() + (options.timeoutMs ?? 60_000);
  while (!(url !== undefined && ready)) {
    if (done) throw new Error(`${name} exited before it was ready:\n${output}`);
    if (Date.now() > deadline) {
      child.kill('SIGKILL');
      throw new Error(`${name} was not ready in time:\n${output}`);
    }
    await delay(20);
  }
  return {
    name,
    url,
    pid: child.pid!,
    exited,
    output: () => output,
    signal: (signal) => void (done || child.kill(signal)),
    async stop(graceMs = 30_000) {
      if (!done) child.kill('SIGTERM');
      const timer = setTimeout(() => child.kill('SIGKILL'), graceMs);
      const result = await exited;
      clearTimeout(timer);
      return result;
    },
  };
}

// A shell holds the read end of a pipe from us and SIGKILLs the child when it reads EOF, i.e. when
// we are gone: `exit` handlers do not run when the test runner itself is killed.
export function parentDeathWatchdog(child: ChildProcess): ChildProcess | undefined {
  if (child.pid === undefined) return undefined;
  const dog = spawn('sh', ['-c', 'read _; kill -9 "$0" 2>/dev/null', String(child.pid)], {
    stdio: ['pipe', 'ignore', 'ignore'],
  });
  dog.unref();
  (dog.stdin as unknown as { unref(): void } | null)?.unref();
  return dog;
}

/**
 * The collector as its own process in front of `brokers`, with its probe thread on a port of its own (as the operator
 * runs it), once both ports answer: the probe thread starts listening just after the API port does.
 */
export async function startCollectorWithProbes(
  brokers: string,
  topic: string,
  env: Record<string, string> = {},
): Promise<{ collector: ServiceProcess; port: number; probePort: number }> {
  const probePort = await freePort();
  const collector = await startService(
    'collector',
    SERVICE_MAINS.collector,
    { HOST: '127.0.0.1', PORT: '0', PROBE_PORT: String(probePort), KAFKA_BROKERS: brokers, KAFKA_TOPIC: topic, ...env },
    { timeoutMs: 120_000 },
  );
  const probed = () =>
    fetch(`http://127.0.0.1:${probePort}/healthz`).then(
      (r) => r.status === 200,
      () => false,
    );
  await waitUntil('the probe port answers', probed);
  return { collector, port: Number(new URL(collector.url).port), probePort };
}

/** What the ingest client knows: only a 202 acknowledges; anything else leaves the outcome open. */
export interface IngestLog {
  acknowledged: Set<string>;
  /** Markers sent in a request that did not get a 202 (503, 429, reset, timeout): absent or once. */
  unacknowledged: Set<string>;
  statuses: Map<number | string, number>;
  retryAfter: Set<string>;
}

export interface IngestOptions {
  url: string;
  apiKey: string;
  prefix: string;
  total: number;
  batchSize: number;
  concurrency: number;
  /** Pause between a worker's requests, so the stream spans the fault. */
  pauseMs: number;
  /** Cap on honouring Retry-After, to keep tests short. */
  maxRetryDelayMs?: number;
  /** Adds to an existing log, so several streams are checked together. */
  log?: IngestLog;
  /** Ends the stream (a failed test's teardown): otherwise it retries a stopped collector for ever and holds the test file open. */
  signal?: AbortSignal;
}

/**
 * Sends `total` records with unique markers as NDJSON (8 services, so every partition gets some), each batch with
 * an Idempotency-Key of its own, retrying it with the same key until it gets a 202.
 */
export function startIngest(options: IngestOptions): { log: IngestLog; done: Promise<void> } {
  const log: IngestLog = options.log ?? {
    acknowledged: new Set(),
    unacknowledged: new Set(),
    statuses: new Map(),
    retryAfter: new Set(),
  };
  const count = (key: number | string) => log.statuses.set(key, (log.statuses.get(key) ?? 0) + 1);
  let next = 0;
  const worker = async () => {
    while (next < options.total && !options.signal?.aborted) {
      const idempotencyKey = `${options.prefix}-batch-${next}`;
      const markers = Array.from(
        { length: Math.min(options.batchSize, options.total - next) },
        () => `${options.prefix}-${next++}`,
      );
      const body = markers
        .map((marker, i) =>
          JSON.stringify({
            service: `svc-${i % 8}`,
            level: 'info',
            message: `handled ${marker}`,
            attributes: { marker },
          }),
        )
        .join('\n');
      for (;;) {
        if (options.signal?.aborted) return;
        const res = await fetch(`${options.url}/api/v1/logs`, {
          method: 'POST',
          headers: {
            'content-type': 'application/x-ndjson',
            authorization: `Bearer ${options.apiKey}`,
            'idempotency-key': idempotencyKey,
          },
          body,
          signal: AbortSignal.timeout(20_000),
        }).catch((err: Error) => err);
        if (!(res instanceof Error) && res.status === 202) {
          count(202);
          await res.body?.cancel();
          for (const m of markers) log.acknowledged.add(m);
          break;
        }
        if (!(res instanceof Error) && res.status !== 503 && res.status !== 429)
          throw new Error(`ingest answered ${res.status}: ${await res.text()}`);
        for (const m of markers) log.unacknowledged.add(m);
        let wait = 200;
        if (res instanceof Error) count(res.name);
        else {
          count(res.status);
          const after = res.headers.get('retry-after');
          if (after) log.retryAfter.add(after);
          await res.body?.cancel();
          wait = Number(after ?? 1) * 1000;
        }
        await delay(Math.min(wait, options.maxRetryDelayMs ?? 500));
      }
      await delay(options.pauseMs);
    }
  };
  const done = Promise.all(Array.from({ length: options.concurrency }, worker)).then(() => undefined);
  return { log, done };
}

/** Every marker the query service returns for the key's tenant in the last hour, with its record's id, paging with the cursor. */
export async function queriedMarkers(queryUrl: string, apiKey: string): Promise<StoredMarker[]> {
  const markers: StoredMarker[] = [];
  let cursor: string | null = null;
  do {
    const params = new URLSearchParams({ from: 'now-1h', limit: '1000', ...(cursor ? { cursor } : {}) });
    const res = await fetch(`${queryUrl}/api/v1/logs?${params}`, { headers: { authorization: `Bearer ${apiKey}` } });
    if (res.status !== 200) throw new Error(`query answered ${res.status}: ${await res.text()}`);
    const page = (await res.json()) as {
      records: { id: string; attributes: Record<string, string> }[];
      next_cursor: string | null;
    };
    for (const r of page.records) markers.push({ marker: r.attributes['marker'] ?? '(none)', id: r.id });
    cursor = page.next_cursor;
  } while (cursor);
  return markers;
}

export interface StoredMarker {
  marker: string;
  /** The record's id, given when the collector received it: one per request that carried the marker. */
  id: string;
}

/**
 * Pure: the problems with the stored markers given what the client knows; empty when every
 * acknowledged marker is stored once. The pipeline must never store one received record twice
 * (the same id twice). A marker under two ids came in two requests: the client resends a batch only
 * with the Idempotency-Key it first sent it with, so that is a retry stored twice, never allowed
 * (README, "Retries without duplicates").
 */
export function exactlyOnceProblems(stored: readonly StoredMarker[], log: IngestLog): string[] {
  const ids = idsByMarker(stored);
  const problems: string[] = [];
  const sameIdTwice = [...ids].filter(([, list]) => new Set(list).size < list.length);
  if (sameIdTwice.length)
    problems.push(
      `${sameIdTwice.length} records stored more than once by the pipeline, e.g. ${sameIdTwice
        .slice(0, 5)
        .map(([m, list]) => `${m}×${list.length}`)
        .join(', ')}`,
    );
  const twoRequests = [...ids].filter(([, list]) => new Set(list).size > 1);
  if (twoRequests.length)
    problems.push(
      `${twoRequests.length} markers stored by more than one request with the same Idempotency-Key, e.g. ${twoRequests
        .slice(0, 5)
        .map(([m, list]) => `${m}×${list.length}`)
        .join(', ')}`,
    );
  const missing = [...log.acknowledged].filter((m) => !ids.has(m));
  if (missing.length)
    problems.push(`${missing.length} acknowledged markers missing, e.g. ${missing.slice(0, 5).join(', ')}`);
  const extra = [...ids.keys()].filter((m) => !log.acknowledged.has(m) && !log.unacknowledged.has(m));
  if (extra.length)
    problems.push(`${extra.length} markers stored that were never sent, e.g. ${extra.slice(0, 5).join(', ')}`);
  const acked = [...ids.keys()].filter((m) => log.acknowledged.has(m));
  if (checksum(acked) !== checksum([...log.acknowledged]))
    problems.push('the checksum over acknowledged markers differs');
  return problems;
}

/** Pure: each stored marker's record ids, one per stored copy. */
function idsByMarker(stored: readonly StoredMarker[]): Map<string, string[]> {
  const ids = new Map<string, string[]>();
  for (const { marker, id } of stored) ids.set(marker, [...(ids.get(marker) ?? []), id]);
  return ids;
}

export const checksum = (markers: readonly string[]) =>
  createHash('sha256')
    .update([...markers].sort().join('\n'))
    .digest('hex');

/** The test bed's condition poll with the longer defaults these multi-process tests need. */
export function waitFor<T>(
  what: string,
  check: () => Promise<T | undefined> | T | undefined,
  timeoutMs = 60_000,
  everyMs = 100,
): Promise<T> {
  return waitUntil(what, check, timeoutMs, everyMs);
}

/** Values of a gauge or counter in a Prometheus text exposition, by their label string (`partition="0"`). */
export async function scrape(url: string, metric: string): Promise<Map<string, number>> {
  const text = await (await fetch(`${url}/metrics`)).text();
  const values = new Map<string, number>();
  for (const line of text.split('\n')) {
    const m = new RegExp(`^${metric}(?:\\{([^}]*)\\})? (\\S+)$`).exec(line);
    if (m) values.set(m[1] ?? '', Number(m[2]));
  }
  return values;
}

export interface GroupPosition {
  /** Committed offset minus the high watermark, summed over partitions; 0 when everything is processed. */
  behind: number;
  /** Partitions whose committed metadata holds an intent (a batch in progress). */
  intents: number[];
}

/** Where a consumer group stands on a topic, read with a Kafka admin client. */
export function groupWatcher(brokers: string[]) {
  const admin = new Kafka({
    clientId: 'fault-test',
    brokers,
    logLevel: logLevel.NOTHING,
    retry: { retries: 5 },
  }).admin();
  let connected: Promise<void> | undefined;
  return {
    async position(groupId: string, topic: string): Promise<GroupPosition> {
      await (connected ??= admin.connect());
      const [high, [committed]] = await Promise.all([
        admin.fetchTopicOffsets(topic),
        admin.fetchOffsets({ groupId, topics: [topic] }),
      ]);
      let behind = 0;
      const intents: number[] = [];
      for (const h of high) {
        const c = committed?.partitions.find((p) => p.partition === h.partition);
        const offset = c && Number(c.offset) >= 0 ? Number(c.offset) : 0;
        behind += Number(h.high) - offset;
        if (c && decodeIntent(c.offset, c.metadata)) intents.push(h.partition);
      }
      return { behind, intents };
    },
    async close() {
      if (connected)
        await connected.then(
          () => admin.disconnect(),
          () => undefined,
        );
    },
  };
}
