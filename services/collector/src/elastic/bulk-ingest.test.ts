import { test } from 'node:test';
import assert from 'node:assert/strict';
import { Registry } from 'prom-client';
import { createInProcessQueue, QueueFullError, type RecordChunk } from '@instant-logs/queue';
import type { LogRecord } from '@instant-logs/schema';
import { CodedError } from '@instant-logs/service-kit';
import { createCollectorMetrics } from '../metrics.ts';
import { createIdempotencyLedger, documentClaim } from '../idempotency.ts';
import { ingestBulk } from './bulk-ingest.ts';
import { parseQueuedLine } from '@instant-logs/schema';

function collector(consume?: (chunk: RecordChunk) => Promise<void>) {
  const stored: LogRecord[] = [];
  const queue = createInProcessQueue(
    consume ??
      (async (chunk) =>
        void stored.push(
          ...chunk.data
            .toString()
            .split('\n')
            .map((l) => parseQueuedLine(l)),
        )),
  );
  return { stored, deps: { queue, metrics: createCollectorMetrics(new Registry()), clock: Date.now } };
}

const ndjson = (...lines: unknown[]) =>
  lines.map((l) => (typeof l === 'string' ? l : JSON.stringify(l))).join('\n') + '\n';

test('accepted documents are stored with their mapped fields and answered as created', async () => {
  const { stored, deps } = collector();
  const body = ndjson(
    { index: { _index: 'web', _id: 'doc-1' } },
    {
      '@timestamp': '2024-05-01T10:00:00.5Z',
      message: 'GET /cart',
      'log.level': 'warn',
      host: { name: 'h1' },
      url: { path: '/cart' },
    },
  );
  const res = await ingestBulk(body, undefined, 'acme', deps);
  assert.equal(res.errors, false);
  assert.deepEqual(res.items[0], {
    index: {
      _index: 'web',
      _id: 'doc-1',
      _version: 1,
      result: 'created',
      _shards: { total: 1, successful: 1, failed: 0 },
      _seq_no: 0,
      _primary_term: 1,
      status: 201,
    },
  });
  const [record] = stored;
  assert.equal(record?.tenant, 'acme');
  assert.equal(record?.service, 'web');
  assert.equal(record?.level, 'warn');
  assert.equal(record?.body, 'GET /cart');
  assert.equal(record?.timestamp, '2024-05-01T10:00:00.500000000Z');
  assert.equal(record?.resource['host.name'], 'h1');
  assert.deepEqual(record?.attributes, { 'url.path': '/cart', 'elasticsearch.index': 'web' });
});

test('items answer in request order, bad ones with a 400 error and good neighbours stored', async () => {
  const { stored, deps } = collector();
  const body = ndjson(
    { create: { _index: 'a' } },
    { message: 'first' },
    { index: { _index: 'a', _id: 'bad' } },
    { message: 'x', 'log.level': 'loud' },
    { delete: { _index: 'a', _id: 'gone' } },
    { index: { _index: 'a' } },
    { 'service.name': 'svc' },
    { index: { _index: 'a' } },
    { message: 'last' },
  );
  const res = await ingestBulk(body, undefined, 't', deps);
  assert.equal(res.errors, true);
  assert.deepEqual(
    res.items.map((i) => Object.keys(i)[0]),
    ['create', 'index', 'delete', 'index', 'index'],
  );
  assert.deepEqual(
    res.items.map((i) => Object.values(i)[0]!.status),
    [201, 400, 400, 400, 201],
  );
  assert.deepEqual(res.items[1]!.index, {
    _index: 'a',
    _id: 'bad',
    status: 400,
    error: { type: 'document_parsing_exception', reason: res.items[1]!.index!.error!.reason },
  });
  assert.match(
    res.items[1]!.index!.error!.reason,
    /failed to parse field \[log\.level\] in document with id 'bad': unknown level "loud"/,
  );
  assert.equal(res.items[2]!.delete!.error!.type, 'illegal_argument_exception');
  assert.match(res.items[3]!.index!.error!.reason, /failed to parse field \[message\]: is required/);
  assert.deepEqual(
    stored.map((r) => r.body),
    ['first', 'last'],
  );
  assert.notEqual(res.items[0]!.create!._id, res.items[4]!.index!._id);
});

test('every refused document is named even past the errors acceptRecords lists', async () => {
  const { stored, deps } = collector();
  const lines: unknown[] = [];
  for (let i = 0; i < 150; i++) lines.push({ index: { _index: 'a' } }, { message: `bad ${i}`, 'log.level': 'nope' });
  lines.push(
    { index: { _index: 'a' } },
    { message: 'good' },
    { index: { _index: 'a' } },
    { message: 'bad too', '@timestamp': 'yesterday' },
  );
  const res = await ingestBulk(ndjson(...lines), undefined, 't', deps);
  const statuses = res.items.map((i) => i.index!.status);
  assert.equal(statuses.filter((s) => s === 400).length, 151);
  assert.equal(statuses[150], 201);
  assert.match(res.items[151]!.index!.error!.reason, /\[@timestamp\]/);
  assert.deepEqual(
    stored.map((r) => r.body),
    ['good'],
  );
});

test('a full queue fails the whole request with 429 so the client retries it', async () => {
  const { deps } = collector(async () => {
    throw new QueueFullError('queue is full', 2);
  });
  await assert.rejects(
    ingestBulk(ndjson({ index: { _index: 'a' } }, { message: 'm' }), undefined, 't', deps),
    (err: unknown) => {
      assert.ok(err instanceof CodedError);
      assert.equal(err.statusCode, 429);
      assert.equal(err.headers['retry-after'], '2');
      return true;
    },
  );
});

test('a body with no operations is a 400', async () => {
  const { deps } = collector();
  await assert.rejects(
    ingestBulk('\n\n', undefined, 't', deps),
    (err: unknown) => err instanceof CodedError && err.statusCode === 400,
  );
});

/** A collector whose queue keeps every chunk, with a ledger: what a bulk stores, and the keys each chunk carries. */
async function withLedger(consume?: (chunk: RecordChunk) => Promise<void>) {
  const chunks: RecordChunk[] = [];
  const { stored, deps } = collector(async (chunk) => {
    await consume?.(chunk);
    chunks.push(chunk);
    stored.push(
      ...chunk.data
        .toString()
        .split('\n')
        .map((l) => parseQueuedLine(l)),
    );
  });
  const idempotency = await createIdempotencyLedger({ windowMs: 60_000 });
  const withIds = { ...deps, idempotency };
  /** One bulk request of tenant acme. */
  const send = (...lines: unknown[]) => ingestBulk(ndjson(...lines), undefined, 'acme', withIds);
  return { stored, chunks, deps: withIds, send };
}
const doc = (message: string) => ({ message, service: { name: 'shop' } });
const statuses = (res: Awaited<ReturnType<typeof ingestBulk>>) =>
  res.items.map((item) => Object.entries(item).map(([action, r]) => `${action} ${r!._id} ${r!.status}`)[0]);

test('a document whose _id was stored in its index is not stored again: index answers updated, create a 409', async () => {
  const { stored, chunks, deps, send } = await withLedger();
  const body = ndjson(
    { index: { _index: 'web', _id: 'a' } },
    doc('first a'),
    { create: { _index: 'web', _id: 'b' } },
    doc('first b'),
    { index: { _index: 'web' } },
    doc('no id'),
  );
  const first = await ingestBulk(body, undefined, 'acme', deps);
  assert.equal(first.errors, false);
  assert.equal(stored.length, 3);
  assert.deepEqual(chunks[0]!.documentKeys, [documentClaim('web', 'a').key, documentClaim('web', 'b').key, null]);

  const again = await send(
    { index: { _index: 'web', _id: 'a' } },
    doc('second a'),
    { create: { _index: 'web', _id: 'b' } },
    doc('second b'),
    { index: { _index: 'web' } },
    doc('no id again'),
    { index: { _index: 'other', _id: 'a' } },
    doc('a in another index'),
  );
  assert.equal(again.errors, true);
  assert.deepEqual(statuses(again).slice(0, 2), ['index a 200', 'create b 409']);
  assert.equal(again.items[0]!.index!.result, 'updated');
  assert.equal(again.items[1]!.create!.error!.type, 'version_conflict_engine_exception');
  assert.deepEqual(
    stored.map((r) => r.body),
    ['first a', 'first b', 'no id', 'no id again', 'a in another index'],
  );
  // Another tenant's _ids are its own.
  await ingestBulk(body, undefined, 'globex', deps);
  assert.equal(stored.length, 8);
});

test("a chunk's document keys follow its lines, which are grouped by service, and skip the documents refused", async () => {
  const { chunks, send } = await withLedger();
  const named = (service: string, message: string) => ({ message, service: { name: service } });
  await send(
    { index: { _index: 'web', _id: 'a' } },
    named('cart', 'a'),
    { index: { _index: 'web', _id: 'refused' } },
    { service: { name: 'cart' } },
    { index: { _index: 'web' } },
    named('pay', 'unnamed'),
    { create: { _index: 'web', _id: 'b' } },
    named('pay', 'b'),
    { index: { _index: 'web', _id: 'c' } },
    named('cart', 'c'),
  );
  const chunk = chunks[0]!;
  const lines = chunk.data.toString().split('\n').map(parseQueuedLine);
  assert.deepEqual(
    lines.map((r) => [r.service, r.body]),
    [
      ['cart', 'a'],
      ['cart', 'c'],
      ['pay', 'unnamed'],
      ['pay', 'b'],
    ],
  );
  assert.deepEqual(chunk.documentKeys, [
    documentClaim('web', 'a').key,
    documentClaim('web', 'c').key,
    null,
    documentClaim('web', 'b').key,
  ]);
});

test('an _id twice in one request is stored once; a refused document frees its _id for a corrected copy', async () => {
  const { stored, send } = await withLedger();
  const res = await send(
    { index: { _index: 'web', _id: 'twice' } },
    doc('kept'),
    { index: { _index: 'web', _id: 'twice' } },
    doc('dropped'),
    { index: { _index: 'web', _id: 'bad' } },
    { service: { name: 'shop' } },
  );
  assert.deepEqual(statuses(res), ['index twice 201', 'index twice 200', 'index bad 400']);
  // A copy after a refused first one was not stored either: it is sent again.
  const refusedFirst = await send(
    { index: { _index: 'web', _id: 'late' } },
    { service: { name: 'shop' } },
    { index: { _index: 'web', _id: 'late' } },
    doc('late'),
  );
  assert.deepEqual(statuses(refusedFirst), ['index late 400', 'index late 429']);
  const fixed = await send({ index: { _index: 'web', _id: 'bad' } }, doc('fixed'));
  assert.deepEqual(statuses(fixed), ['index bad 201']);
  assert.equal(statuses(await send({ index: { _index: 'web', _id: 'late' } }, doc('late')))[0], 'index late 201');
  // Both copies of one stored before: neither stored.
  const twiceKnown = await send(
    { create: { _index: 'web', _id: 'late' } },
    doc('late 2'),
    { index: { _index: 'web', _id: 'late' } },
    doc('late 3'),
  );
  assert.deepEqual(statuses(twiceKnown), ['create late 409', 'index late 200']);
  assert.deepEqual(
    stored.map((r) => r.body),
    ['kept', 'fixed', 'late'],
  );
});

test('an _id another request is storing is a per-item 429; a request the queue refuses frees its _ids', async () => {
  let release: () => void = () => {};
  let fail = false;
  const gate = new Promise<void>((resolve) => (release = resolve));
  const { stored, send } = await withLedger(async () => {
    if (fail) throw new QueueFullError('full');
    await gate;
  });
  const slow = send({ index: { _index: 'web', _id: 'x' } }, doc('slow x'));
  // Claimed while the first request waits for the queue.
  const meanwhile = send(
    { index: { _index: 'web', _id: 'x' } },
    doc('x again'),
    { index: { _index: 'web', _id: 'y' } },
    doc('y'),
  );
  release();
  const answered = await meanwhile;
  assert.deepEqual(statuses(answered), ['index x 429', 'index y 201']);
  assert.equal(answered.items[0]!.index!.error!.type, 'es_rejected_execution_exception');
  await slow;

  fail = true;
  await assert.rejects(send({ index: { _index: 'web', _id: 'z' } }, doc('refused z')));
  fail = false;
  const retried = await send({ index: { _index: 'web', _id: 'z' } }, doc('z'));
  assert.deepEqual(statuses(retried), ['index z 201']);
  assert.deepEqual(
    stored.map((r) => r.body),
    ['slow x', 'y', 'z'],
  );
});
