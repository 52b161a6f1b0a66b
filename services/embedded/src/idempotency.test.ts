import assert from 'node:assert/strict';
import { existsSync, mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test } from 'node:test';
import { encodeChunk, openSegmentLog } from '@instant-logs/queue';
import { formatTimestamp, LogPage, nowNs, queuedLine } from '@instant-logs/schema';
import { documentClaim } from '@instant-logs/collector';
import { openIdempotencyLedger } from './idempotency.ts';
import { eventually, startTestPipeline } from './test-pipeline.ts';

/** A pipeline behind a real log in `dir`, with the ledger main.ts would open over it, on a given store or a fresh one. */
async function open(dir: string, database?: { store: Awaited<ReturnType<typeof startTestPipeline>>['store'] }) {
  const log = await openSegmentLog({ dir, segmentBytes: 128 * 1024 });
  const idempotency = await openIdempotencyLedger(log, dir, 600_000);
  const wal = {
    log,
    maxUnstoredBytes: 1 << 20,
    processor: { maxWaitMs: 100, deadLetterFile: join(dir, 'dead-letters.ndjson') },
  };
  const pipeline = await startTestPipeline({ wal, idempotency, ...(database ? { store: database.store } : {}) });
  return {
    pipeline,
    async close() {
      await pipeline.close();
      await log.close();
    },
  };
}

const body = (tag: string) =>
  Array.from({ length: 5 }, (_, i) => JSON.stringify({ service: 'idem', message: `${tag} ${i}` })).join('\n') +
  '\n{"message":"no service"}';
const post = (p: Awaited<ReturnType<typeof startTestPipeline>>, key: string | undefined, text: string) =>
  p.app.inject({
    method: 'POST',
    url: '/api/v1/logs',
    payload: text,
    headers: { 'content-type': 'application/x-ndjson', ...(key ? { 'idempotency-key': key } : {}) },
  });
const stored = async (p: Awaited<ReturnType<typeof startTestPipeline>>, tag: string) => {
  const res = await p.app.inject({ url: `/api/v1/logs?from=now-1h&limit=100&q=${encodeURIComponent(`"${tag}"`)}` });
  return LogPage.parse(res.json()).records.length;
};

test('a retried request with the same Idempotency-Key gets the first answer and is stored once, even across a restart', async () => {
  const dir = mkdtempSync(join(tmpdir(), 'idl-idem-app-'));
  const first = await open(dir);
  const firstAnswer = await post(first.pipeline, 'batch-0001', body('alpha'));
  assert.equal(firstAnswer.statusCode, 202, firstAnswer.body);
  assert.deepEqual([firstAnswer.json().accepted, firstAnswer.json().rejected], [5, 1]);
  const again = await post(first.pipeline, 'batch-0001', body('alpha'));
  assert.equal(again.statusCode, 202);
  assert.equal(again.headers['idempotent-replayed'], 'true');
  assert.deepEqual(again.json(), firstAnswer.json());
  const reused = await post(first.pipeline, 'batch-0001', body('beta'));
  assert.equal(reused.statusCode, 422);
  assert.equal(reused.json().error.code, 'COLLECTOR_IDEMPOTENCY_KEY_REUSED');
  await eventually(
    async () => ((await stored(first.pipeline, 'alpha')) === 5 ? true : undefined),
    10_000,
    'alpha stored',
  );
  const store = first.pipeline.store;
  await first.close();

  // The next process on the same directory remembers the key from the journal beside the log.
  const second = await open(dir, { store });
  try {
    const retried = await post(second.pipeline, 'batch-0001', body('alpha'));
    assert.equal(retried.headers['idempotent-replayed'], 'true');
    assert.deepEqual(retried.json(), firstAnswer.json());
    // Without a key, the same body is new records, as before.
    assert.equal((await post(second.pipeline, undefined, body('alpha'))).statusCode, 202);
    await eventually(
      async () => ((await stored(second.pipeline, 'alpha')) === 10 ? true : undefined),
      10_000,
      'the keyless copy stored',
    );
    assert.equal(await stored(second.pipeline, 'beta'), 0);
  } finally {
    await second.close();
  }
});

/** An OTLP/JSON export and a Loki push (one entry refused) of three records each, tagged. */
const otlpExport = (tag: string) =>
  JSON.stringify({
    resourceLogs: [
      {
        resource: { attributes: [{ key: 'service.name', value: { stringValue: 'idem' } }] },
        scopeLogs: [{ logRecords: [0, 1, 2].map((i) => ({ body: { stringValue: `${tag} ${i}` } })) }],
      },
    ],
  });
// A retry sends the same bytes, so the entries' times are fixed once.
const PUSHED_NS = String(BigInt(Date.now()) * 1_000_000n);
const lokiPush = (tag: string) =>
  JSON.stringify({
    streams: [
      {
        stream: { service: 'idem' },
        values: [...[0, 1, 2].map((i) => [PUSHED_NS, `${tag} ${i}`]), ['soon', 'refused']],
      },
    ],
  });
const ship = (p: Awaited<ReturnType<typeof startTestPipeline>>, url: string, key: string, payload: string) =>
  p.app.inject({
    method: 'POST',
    url,
    payload,
    headers: { 'content-type': 'application/json', 'idempotency-key': key },
  });

test('OTLP exports and Loki pushes retried with their Idempotency-Key are stored once, even across a restart', async () => {
  const dir = mkdtempSync(join(tmpdir(), 'idl-idem-otlp-'));
  const first = await open(dir);
  try {
    const otlp = await ship(first.pipeline, '/v1/logs', 'export-1', otlpExport('gamma'));
    assert.equal(otlp.statusCode, 200, otlp.body);
    const loki = await ship(first.pipeline, '/loki/api/v1/push', 'push-1', lokiPush('delta'));
    assert.equal(loki.statusCode, 400, 'the refused entry is reported as Loki does');
    for (const [url, key, payload, answer] of [
      ['/v1/logs', 'export-1', otlpExport('gamma'), otlp],
      ['/loki/api/v1/push', 'push-1', lokiPush('delta'), loki],
    ] as const) {
      const again = await ship(first.pipeline, url, key, payload);
      assert.deepEqual([again.statusCode, again.body], [answer.statusCode, answer.body]);
      assert.equal(again.headers['idempotent-replayed'], 'true');
    }
    // A key is bound to its route: the export's key on a push is another request.
    assert.equal((await ship(first.pipeline, '/loki/api/v1/push', 'export-1', lokiPush('delta'))).statusCode, 422);
    await eventually(
      async () =>
        (await stored(first.pipeline, 'gamma')) === 3 && (await stored(first.pipeline, 'delta')) === 3
          ? true
          : undefined,
      10_000,
      'gamma and delta stored',
    );
  } catch (err) {
    await first.close();
    throw err;
  }
  const store = first.pipeline.store;
  await first.close();

  const second = await open(dir, { store });
  try {
    const retried = await ship(second.pipeline, '/v1/logs', 'export-1', otlpExport('gamma'));
    assert.deepEqual([retried.statusCode, retried.headers['idempotent-replayed']], [200, 'true']);
    const pushed = await ship(second.pipeline, '/loki/api/v1/push', 'push-1', lokiPush('delta'));
    assert.deepEqual([pushed.statusCode, pushed.headers['idempotent-replayed']], [400, 'true']);
    // Under a new key the same export is new records: stored again, which the count below then sees.
    assert.equal((await ship(second.pipeline, '/v1/logs', 'export-2', otlpExport('gamma'))).statusCode, 200);
    await eventually(
      async () => ((await stored(second.pipeline, 'gamma')) === 6 ? true : undefined),
      10_000,
      'the second export stored',
    );
    assert.equal(await stored(second.pipeline, 'delta'), 3);
  } finally {
    await second.close();
  }
});

test('a key whose answer is only in the log, not yet in the journal, is remembered from the log at start', async () => {
  const dir = mkdtempSync(join(tmpdir(), 'idl-idem-log-'));
  const log = await openSegmentLog({ dir, segmentBytes: 128 * 1024 });
  // A process without a ledger wrote it: the entry carries the key, the journal knows nothing.
  const response = { accepted: 1, rejected: 0, errors: [] };
  await log.append(
    encodeChunk({
      tenant: 'default',
      rows: 1,
      data: Buffer.from('{}'),
      idempotency: { key: 'only-in-log', digest: 'd1', response },
    }),
  );
  const ledger = await openIdempotencyLedger(log, dir, 600_000);
  assert.deepEqual(ledger.claim('default', { key: 'only-in-log', digest: 'd1' }), { kind: 'replay', response });
  await ledger.close();
  await log.close();
});

const bulk = (p: Awaited<ReturnType<typeof startTestPipeline>>, action: 'index' | 'create', ids: string[]) =>
  p.app.inject({
    method: 'POST',
    url: '/_bulk',
    payload: ids.map((id) => `{"${action}":{"_index":"web","_id":"${id}"}}\n{"message":"esdoc ${id}"}\n`).join(''),
    headers: { 'content-type': 'application/x-ndjson' },
  });
const items = (res: Awaited<ReturnType<typeof bulk>>) =>
  (res.json() as { items: Record<string, { _id: string; status: number }>[] }).items.map((item) =>
    Object.entries(item)
      .map(([action, r]) => `${action} ${r._id} ${r.status}`)
      .join(),
  );

test('an Elasticsearch document sent again with its _id is stored once, also after a restart', async () => {
  const dir = mkdtempSync(join(tmpdir(), 'idl-idem-es-'));
  const first = await open(dir);
  assert.deepEqual(items(await bulk(first.pipeline, 'index', ['e1', 'e2'])), ['index e1 201', 'index e2 201']);
  assert.deepEqual(items(await bulk(first.pipeline, 'index', ['e1', 'e2'])), ['index e1 200', 'index e2 200']);
  await eventually(async () => ((await stored(first.pipeline, 'esdoc')) === 2 ? true : undefined), 10_000, 'e1, e2');
  const store = first.pipeline.store;
  await first.close();

  const second = await open(dir, { store });
  try {
    // Sent again with a new one in the same request: only the new one is stored, in the same log entry.
    const again = await bulk(second.pipeline, 'create', ['e1', 'e2', 'e3']);
    assert.deepEqual(items(again), ['create e1 409', 'create e2 409', 'create e3 201']);
    const e3 = await eventually(
      async () => {
        const res = await second.pipeline.app.inject({ url: '/api/v1/logs?from=now-1h&limit=100&q=e3' });
        return LogPage.parse(res.json()).records.length > 0 ? true : undefined;
      },
      10_000,
      'e3 stored',
    );
    assert.ok(e3);
    assert.equal(await stored(second.pipeline, 'esdoc'), 3);
  } finally {
    await second.close();
  }
});

test('a named document whose record the store refuses is forgotten: a corrected copy is stored, also after a restart', async () => {
  const dir = mkdtempSync(join(tmpdir(), 'idl-idem-es-dead-'));
  // What the collector acknowledged before a restart: the document's line in the log with its key, a line the
  // store refuses for good (a severity number that is not one).
  const log = await openSegmentLog({ dir, segmentBytes: 128 * 1024 });
  const at = formatTimestamp(nowNs());
  const refused = queuedLine({
    ...{ id: '01936d5c-0000-7000-8000-000000000001', tenant: 'default', timestamp: at, observed_timestamp: at },
    ...{ service: 'web', level: 'info', severity_text: 'INFO', severity_number: 'not a number', body: 'esdoc broken' },
    ...{ attributes: {}, resource: {}, trace_id: '', span_id: '' },
  } as never);
  const named = documentClaim('web', 'broken');
  await log.append(encodeChunk({ tenant: 'default', rows: 1, data: Buffer.from(refused), documentKeys: [named.key] }));
  await log.close();
  const deadLetters = join(dir, 'dead-letters.ndjson');
  const first = await open(dir);
  await eventually(
    async () =>
      existsSync(deadLetters) && readFileSync(deadLetters, 'utf8').includes('esdoc broken') ? true : undefined,
    10_000,
    'the refused line dead-lettered',
  );
  const store = first.pipeline.store;
  // Closing lets the processor finish that batch: the key is forgotten before the log lets the entry go.
  await first.close();

  const second = await open(dir, { store });
  try {
    assert.deepEqual(items(await bulk(second.pipeline, 'create', ['broken'])), ['create broken 201']);
    await eventually(
      async () => ((await stored(second.pipeline, 'broken')) === 1 ? true : undefined),
      10_000,
      'stored',
    );
    assert.deepEqual(
      items(await bulk(second.pipeline, 'create', ['broken'])),
      ['create broken 409'],
      'now it was stored',
    );
  } finally {
    await second.close();
  }
});

test('document _ids only in the log, not yet in the journal, are remembered from the log at start', async () => {
  const dir = mkdtempSync(join(tmpdir(), 'idl-idem-es-log-'));
  const log = await openSegmentLog({ dir, segmentBytes: 128 * 1024 });
  const named = documentClaim('web', 'only-in-log');
  await log.append(encodeChunk({ tenant: 'default', rows: 1, data: Buffer.from('{}'), documentKeys: [named.key] }));
  const ledger = await openIdempotencyLedger(log, dir, 600_000);
  assert.equal(ledger.claim('default', named).kind, 'replay');
  assert.equal(ledger.claim('default', documentClaim('web', 'never-sent')).kind, 'new');
  await ledger.close();
  await log.close();
});
