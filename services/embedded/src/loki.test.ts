import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { hostname } from 'node:os';
import { gzipSync } from 'node:zlib';
import pino from 'pino';
import pinoLoki from 'pino-loki';
import protobuf from 'protobufjs';
import snappy from 'snappy';
import winston from 'winston';
import LokiTransport from 'winston-loki';
import { LogPage, type LogRecord } from '@instant-logs/schema';
import { waitUntil } from '@instant-logs/testbed';
import { startTestPipeline } from './test-pipeline.ts';
import type { EmbeddedPipeline } from './app.ts';

// Applications logging through the Loki client libraries people already use, pointed at the collector.
// Auth stays off here: API keys, including the Basic form Loki clients send, are tested with the auth hook.
let p: EmbeddedPipeline;
let url: string;
before(async () => {
  p = await startTestPipeline();
  url = await p.app.listen({ host: '127.0.0.1', port: 0 });
});
after(() => p.close());

let runs = 0;
const unique = (name: string) => `${name}-${process.pid}-${++runs}`;

async function search(service: string): Promise<LogRecord[]> {
  const res = await p.app.inject({ method: 'GET', url: `/api/v1/logs?from=now-1h&limit=500&service=${service}` });
  assert.equal(res.statusCode, 200, res.body);
  return LogPage.parse(res.json()).records;
}

/** Waits until `count` records of `service` are stored and returns them. */
function storedRecords(service: string, count: number): Promise<LogRecord[]> {
  return waitUntil(
    `${count} records of ${service}`,
    async () => {
      const records = await search(service);
      return records.length >= count ? records : undefined;
    },
    15_000,
    20,
  );
}

const bySequence = (records: LogRecord[]) =>
  [...records].sort((a, b) => Number(/#(\d+)/.exec(a.body)?.[1]) - Number(/#(\d+)/.exec(b.body)?.[1]));

for (const json of [false, true]) {
  test(`winston-loki ${json ? 'JSON' : 'snappy protobuf'} pushes are stored with service, level, body and labels`, async () => {
    const app = unique(json ? 'winston-json' : 'winston-proto');
    const errors: unknown[] = [];
    const transport = new LokiTransport({
      host: url,
      json,
      labels: { app, env: 'test' },
      interval: 600,
      gracefulShutdown: false,
      onConnectionError: (err: unknown) => errors.push(err),
    });
    let logged = 0;
    transport.on('logged', () => logged++);
    const logger = winston.createLogger({ level: 'debug', transports: [transport] });
    const levels = ['info', 'warn', 'error', 'debug'] as const;
    const n = 20;
    for (let i = 0; i < n; i++) logger.log(levels[i % levels.length]!, `order #${i} handled`, { orderId: `A-${i}` });
    // winston hands records to its transports asynchronously; the transport reports each one it has batched.
    await waitUntil(
      'winston to hand every record to the transport',
      async () => (logged === n ? true : undefined),
      5_000,
      5,
    );
    // close() sends what is batched and waits for the answer (the batch interval is far longer than the test).
    await transport.close();
    assert.deepEqual(errors, []);

    const records = bySequence(await storedRecords(app, n));
    assert.equal(records.length, n);
    records.forEach((r, i) => {
      assert.equal(r.service, app);
      assert.equal(r.tenant, 'default');
      assert.equal(r.level, levels[i % levels.length]);
      assert.ok(r.body.startsWith(`order #${i} handled`), r.body);
      assert.deepEqual(r.resource, { app, env: 'test', level: levels[i % levels.length] });
    });
    // Only the JSON push carries winston's metadata as structured metadata; the protobuf one folds it into the line.
    if (json) assert.equal(records[3]!.attributes['orderId'], 'A-3');
    else assert.match(records[3]!.body, /"orderId":"A-3"/);
  });
}

test('pino-loki JSON pushes are stored with service, level, body, labels and structured metadata', async () => {
  const app = unique('pino');
  const transport = pinoLoki({ host: url, batching: false, labels: { app }, silenceErrors: false });
  const logger = pino({ level: 'debug' }, transport);
  const n = 12;
  const methods = ['info', 'warn', 'error'] as const;
  for (let i = 0; i < n; i++)
    logger[methods[i % methods.length]!]({ meta: { orderId: `B-${i}` }, step: i }, `payment #${i} processed`);

  try {
    const records = bySequence(await storedRecords(app, n));
    assert.equal(records.length, n);
    const expected = { info: ['info', 'info'], warn: ['warn', 'warning'], error: ['error', 'error'] } as const;
    records.forEach((r, i) => {
      const [level, text] = expected[methods[i % methods.length]!];
      assert.equal(r.service, app);
      assert.equal(r.level, level);
      assert.equal(r.severity_text, text);
      // pino-loki sends the whole pino object as the line.
      assert.equal(JSON.parse(r.body).msg, `payment #${i} processed`);
      assert.equal(r.attributes['orderId'], `B-${i}`);
      assert.equal(r.resource['app'], app);
      assert.equal(r.resource['hostname'], hostname());
    });
  } finally {
    transport.end();
  }
});

const nowNs = () => `${Date.now()}000000`;
const push = (body: string | Buffer, headers: Record<string, string> = { 'content-type': 'application/json' }) =>
  fetch(`${url}/loki/api/v1/push`, { method: 'POST', body, headers });

test('a JSON push with bad entries stores the good ones and answers 400 naming the bad ones', async () => {
  const app = unique('mixed-json');
  const res = await push(
    JSON.stringify({
      streams: [
        {
          stream: { app, level: 'error' },
          values: [
            [nowNs(), 'good #0'],
            ['yesterday', 'bad time'],
            [nowNs(), 'good #1', { user: 'u1' }],
            [nowNs(), ''],
          ],
        },
        { stream: { app, region: 7 }, values: [[nowNs(), 'label not a string']] },
        { stream: { app }, values: [[nowNs(), 'good #2']] },
      ],
    }),
  );
  assert.equal(res.status, 400);
  const message = await res.text();
  assert.match(res.headers.get('content-type') ?? '', /^text\/plain/);
  assert.match(message, /^3 of 6 entries rejected: /);
  assert.match(
    message,
    /streams\[0\]\.values\[1\] timestamp: must be a string of Unix epoch nanoseconds, got "yesterday"/,
  );
  assert.match(message, /streams\[0\]\.values\[3\] line: must not be empty/);
  assert.match(message, /streams\[1\]\.values\[0\] stream\.region: label values must be strings/);

  const records = bySequence(await storedRecords(app, 3));
  assert.deepEqual(
    records.map((r) => r.body),
    ['good #0', 'good #1', 'good #2'],
  );
  assert.deepEqual(
    records.map((r) => r.level),
    ['error', 'error', 'info'],
  );
  assert.equal(records[1]!.attributes['user'], 'u1');
});

const { root } = protobuf.parse(`
  syntax = "proto3";
  message Timestamp { int64 seconds = 1; int32 nanos = 2; }
  message PushRequest { repeated StreamAdapter streams = 1; }
  message StreamAdapter { string labels = 1; repeated EntryAdapter entries = 2; }
  message EntryAdapter { Timestamp timestamp = 1; string line = 2; repeated LabelPair structuredMetadata = 3; }
  message LabelPair { string name = 1; string value = 2; }
`);
const PushRequest = root.lookupType('PushRequest');
const encodePush = (message: object) =>
  snappy.compressSync(Buffer.from(PushRequest.encode(PushRequest.fromObject(message)).finish()));
const protobufHeaders = { 'content-type': 'application/x-protobuf' };

test('a protobuf push with a malformed selector stores the other streams and names the broken one', async () => {
  const app = unique('mixed-proto');
  const timestamp = { seconds: Math.floor(Date.now() / 1000), nanos: 5 };
  const res = await push(
    encodePush({
      streams: [
        {
          labels: `{app="${app}", detected_level="warn"}`,
          entries: [{ timestamp, line: 'kept #0', structuredMetadata: [{ name: 'trace', value: 't-1' }] }],
        },
        {
          labels: `{app="${app}", env=prod}`,
          entries: [
            { timestamp, line: 'lost' },
            { timestamp, line: 'lost too' },
          ],
        },
      ],
    }),
    protobufHeaders,
  );
  assert.equal(res.status, 400);
  const message = await res.text();
  assert.match(
    message,
    /^2 of 3 entries rejected: streams\[1\]\.entries\[0\] labels: malformed label selector .*expected a double-quoted value at offset \d+; streams\[1\]\.entries\[1\] labels/,
  );

  const [kept] = await storedRecords(app, 1);
  assert.equal(kept!.body, 'kept #0');
  assert.equal(kept!.level, 'warn');
  assert.equal(kept!.attributes['trace'], 't-1');
  assert.ok(kept!.timestamp.endsWith('.000000005Z'), kept!.timestamp);
});

test('a gzip-encoded JSON push is decoded and answered with an empty 204', async () => {
  const app = unique('gzip');
  const res = await push(
    gzipSync(JSON.stringify({ streams: [{ stream: { service_name: app }, values: [[nowNs(), 'zipped']] }] })),
    {
      'content-type': 'application/json',
      'content-encoding': 'gzip',
    },
  );
  assert.equal(res.status, 204);
  assert.equal(await res.text(), '');
  assert.equal((await storedRecords(app, 1))[0]!.body, 'zipped');
});

test('bodies that cannot be decoded are refused whole with a plain-text reason', async () => {
  const cases: Array<[string | Buffer, Record<string, string>, number, RegExp]> = [
    [Buffer.from([0x0a, 0x10, 0x61]), protobufHeaders, 400, /not a valid snappy block: literal at offset 1 needs/],
    [
      Buffer.from([0xff, 0xff, 0xff, 0xff, 0x0f]),
      protobufHeaders,
      413,
      /uncompressed .*exceeds the limit of 5242880 bytes/,
    ],
    [
      snappy.compressSync(Buffer.from([0x0a, 0x05, 0x0a])),
      protobufHeaders,
      400,
      /not a Loki PushRequest: invalid protobuf/,
    ],
    ['{"streams": [', { 'content-type': 'application/json' }, 400, /body is not valid JSON/],
    ['{"stream": {}}', { 'content-type': 'application/json' }, 400, /must be a Loki push request/],
    [
      '{"streams": []}',
      { 'content-type': 'application/x-ndjson' },
      415,
      /is not accepted here; send one of: application\/x-protobuf/,
    ],
  ];
  for (const [body, headers, status, message] of cases) {
    const res = await push(body, headers);
    assert.equal(res.status, status, `${JSON.stringify(headers)} ${String(body)}`);
    assert.match(await res.text(), message);
  }
});
