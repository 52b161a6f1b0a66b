import { after, test } from 'node:test';
import assert from 'node:assert/strict';
import { gzipSync } from 'node:zlib';
import { createInProcessQueue, QueueUnavailableError } from '@instant-logs/queue';
import type { LogRecord } from '@instant-logs/schema';
import { parseApiKeys } from '@instant-logs/service-kit';
import { buildApp } from '../app.ts';
import { parseQueuedLine } from '@instant-logs/schema';

const stored: LogRecord[] = [];
let unavailable = false;
const app = buildApp({
  // Auth off: the key forms belong to the auth hook and are tested there.
  keyring: parseApiKeys(''),
  queue: createInProcessQueue(async (chunk) => {
    if (unavailable) throw new QueueUnavailableError('broker down', { retryAfterSeconds: 3 });
    stored.push(
      ...chunk.data
        .toString()
        .split('\n')
        .map((l) => parseQueuedLine(l)),
    );
  }),
});
after(() => app.close());

const auth = {};
const bulkBody = (marker: string) => `${JSON.stringify({ index: {} })}\n${JSON.stringify({ message: marker })}\n`;

test('a bulk request to an index path is stored under that index and names the product', async () => {
  const res = await app.inject({
    method: 'POST',
    url: '/orders/_bulk',
    payload: bulkBody('route-1'),
    headers: { ...auth, 'content-type': 'application/x-ndjson' },
  });
  assert.equal(res.statusCode, 200, res.body);
  assert.equal(res.headers['x-elastic-product'], 'Elasticsearch');
  assert.equal(res.json().items[0].index._index, 'orders');
  const record = stored.find((r) => r.body === 'route-1');
  assert.equal(record?.service, 'orders');
  assert.equal(record?.tenant, 'default');
});

test('PUT /_bulk takes a gzip body and answers in the compatible-with media type asked for', async () => {
  const res = await app.inject({
    method: 'PUT',
    url: '/_bulk',
    payload: gzipSync(`${JSON.stringify({ create: { _index: 'z' } })}\n${JSON.stringify({ message: 'route-2' })}\n`),
    headers: {
      ...auth,
      'content-type': 'application/vnd.elasticsearch+x-ndjson; compatible-with=8',
      'content-encoding': 'gzip',
      accept: 'application/vnd.elasticsearch+json; compatible-with=8',
    },
  });
  assert.equal(res.statusCode, 200, res.body);
  assert.equal(res.headers['content-type'], 'application/vnd.elasticsearch+json;compatible-with=8');
  assert.equal(res.json().items[0].create.status, 201);
  assert.ok(stored.some((r) => r.body === 'route-2'));
});

test('an unavailable queue answers 503 in the Elasticsearch error shape with retry-after', async () => {
  unavailable = true;
  try {
    const res = await app.inject({
      method: 'POST',
      url: '/logs/_bulk',
      payload: bulkBody('route-4'),
      headers: { ...auth, 'content-type': 'application/json' },
    });
    assert.equal(res.statusCode, 503);
    assert.equal(res.headers['retry-after'], '3');
    const body = res.json();
    assert.equal(body.status, 503);
    assert.equal(body.error.type, 'unavailable_shards_exception');
    assert.match(body.error.reason, /broker down/);
    assert.equal(body.error.root_cause[0].type, 'unavailable_shards_exception');
  } finally {
    unavailable = false;
  }
});

test('an empty bulk body is a 400 in the Elasticsearch error shape', async () => {
  const res = await app.inject({
    method: 'POST',
    url: '/_bulk',
    payload: '\n',
    headers: { ...auth, 'content-type': 'application/x-ndjson' },
  });
  assert.equal(res.statusCode, 400);
  assert.equal(res.headers['x-elastic-product'], 'Elasticsearch');
  assert.equal(res.json().error.type, 'illegal_argument_exception');
});

test('GET / answers cluster info with an 8.x version and HEAD / answers 200', async () => {
  const res = await app.inject({ method: 'GET', url: '/', headers: auth });
  assert.equal(res.statusCode, 200);
  assert.equal(res.headers['x-elastic-product'], 'Elasticsearch');
  assert.match(res.json().version.number, /^8\./);
  assert.equal(res.json().tagline, 'You Know, for Search');
  const head = await app.inject({ method: 'HEAD', url: '/', headers: auth });
  assert.equal(head.statusCode, 200);
  assert.equal(head.headers['x-elastic-product'], 'Elasticsearch');
});

test('GET /_license reports an active basic license', async () => {
  const res = await app.inject({ method: 'GET', url: '/_license', headers: auth });
  assert.equal(res.statusCode, 200);
  assert.deepEqual([res.json().license.type, res.json().license.status], ['basic', 'active']);
});
