// The collector as main.ts runs it in front of Kafka: an Idempotency-Key is checked, answered by this collector
// and handed on with the records, where the processor recognises a retry's copy.
import { after, test } from 'node:test';
import assert from 'node:assert/strict';
import { createInProcessQueue, type RecordChunk } from '@instant-logs/queue';
import { parseApiKeys } from '@instant-logs/service-kit';
import { buildApp } from './app.ts';
import { forwardIdempotencyKeys } from './idempotency.ts';

const KEY = 'forward-test-key-0001';
const chunks: RecordChunk[] = [];
const app = buildApp({
  queue: createInProcessQueue(async (chunk) => void chunks.push(chunk)),
  keyring: parseApiKeys(`${KEY}:team:ingest`),
  idempotency: forwardIdempotencyKeys(),
  logger: false,
});
after(() => app.close());

const body = [
  JSON.stringify({ service: 'billing', message: 'kept' }),
  JSON.stringify({ message: 'no service' }),
  JSON.stringify({ service: 'api', message: 'kept too' }),
].join('\n');
const post = (headers: Record<string, string>, payload = body) =>
  app.inject({
    method: 'POST',
    url: '/api/v1/logs',
    headers: { authorization: `Bearer ${KEY}`, 'content-type': 'application/x-ndjson', ...headers },
    payload,
  });

test('a retry with the same key and body gets the same 202 answer, and both copies carry the key and digest', async () => {
  chunks.length = 0;
  const first = await post({ 'idempotency-key': 'batch-0001' });
  const retry = await post({ 'idempotency-key': 'batch-0001' });
  assert.deepEqual([first.statusCode, retry.statusCode], [202, 202]);
  assert.deepEqual(retry.json(), first.json());
  assert.equal(first.json().rejected, 1);
  assert.equal(retry.headers['idempotent-replayed'], undefined, 'nothing is replayed from memory here');
  assert.equal(chunks.length, 2);
  const [a, b] = chunks.map((c) => c.idempotency!);
  assert.equal(a!.key, 'batch-0001');
  assert.match(a!.digest, /^[\w-]{43}$/);
  assert.deepEqual([b!.key, b!.digest], [a!.key, a!.digest]);
});

test('another body under the same key is accepted with another digest', async () => {
  chunks.length = 0;
  await post({ 'idempotency-key': 'batch-0002' });
  const other = await post({ 'idempotency-key': 'batch-0002' }, JSON.stringify({ service: 'x', message: 'other' }));
  assert.equal(other.statusCode, 202);
  assert.notEqual(chunks[0]!.idempotency!.digest, chunks[1]!.idempotency!.digest);
});

test('without the header the records travel without idempotency', async () => {
  chunks.length = 0;
  assert.equal((await post({})).statusCode, 202);
  assert.equal(chunks[0]!.idempotency, undefined);
});

test('a malformed key is refused with 400 naming the header, and nothing is queued', async () => {
  chunks.length = 0;
  for (const key of ['', 'has space', 'x'.repeat(256), 'ключ']) {
    const res = await post({ 'idempotency-key': key });
    assert.equal(res.statusCode, 400, `key ${JSON.stringify(key)}`);
    const { error } = res.json() as { error: { code: string; field: string } };
    assert.equal(error.code, 'COLLECTOR_BAD_IDEMPOTENCY_KEY');
    assert.equal(error.field, 'idempotency-key');
  }
  assert.equal(chunks.length, 0);
});
