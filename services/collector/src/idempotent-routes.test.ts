// Idempotency-Keys on every ingest route, in front of a queue that stores only when the test lets it: what a
// retry is answered while its first request is still waiting, and after it was stored.
import { after, test } from 'node:test';
import assert from 'node:assert/strict';
import { createInProcessQueue, type RecordChunk } from '@instant-logs/queue';
import { parseApiKeys } from '@instant-logs/service-kit';
import { buildApp } from './app.ts';
import { createIdempotencyLedger } from './idempotency.ts';

const KEY = 'idempotent-routes-key-01';
const stored: RecordChunk[] = [];
let release: (() => void) | undefined;
let held: Promise<void> | undefined;
let reached: (() => void) | undefined;
const app = buildApp({
  queue: createInProcessQueue(async (chunk) => {
    // Only the first request waits: a second one reaching the queue is stored at once, and fails the test.
    const wait = held;
    held = undefined;
    reached?.();
    await wait;
    stored.push(chunk);
  }),
  keyring: parseApiKeys(`${KEY}:team:ingest`),
  idempotency: await createIdempotencyLedger({ windowMs: 60_000 }),
  logger: false,
});
after(() => app.close());

const ROUTES = {
  logs: {
    url: '/api/v1/logs',
    type: 'application/x-ndjson',
    payload: (tag: string) => `${JSON.stringify({ service: 'api', message: tag })}\n{"message":"no service"}`,
    ok: 202,
  },
  otlp: {
    url: '/v1/logs',
    type: 'application/json',
    payload: (tag: string) =>
      JSON.stringify({
        resourceLogs: [
          {
            resource: { attributes: [{ key: 'service.name', value: { stringValue: 'api' } }] },
            scopeLogs: [{ logRecords: [{ body: { stringValue: tag } }, { body: { stringValue: '' } }] }],
          },
        ],
      }),
    ok: 200,
  },
  loki: {
    url: '/loki/api/v1/push',
    type: 'application/json',
    payload: (tag: string) =>
      JSON.stringify({
        streams: [
          {
            stream: { service: 'api' },
            values: [
              ['1795000000000000000', tag],
              ['x', 'bad'],
            ],
          },
        ],
      }),
    ok: 400,
  },
} as const;

const send = (route: keyof typeof ROUTES, key: string, tag: string) =>
  app.inject({
    method: 'POST',
    url: ROUTES[route].url,
    headers: { authorization: `Bearer ${KEY}`, 'content-type': ROUTES[route].type, 'idempotency-key': key },
    payload: ROUTES[route].payload(tag),
  });

for (const route of Object.keys(ROUTES) as (keyof typeof ROUTES)[]) {
  test(`${route}: a retry while the first request waits is told to retry; after it was stored, it gets the first answer`, async () => {
    stored.length = 0;
    held = new Promise((resolve) => (release = resolve));
    const queued = new Promise<void>((resolve) => (reached = resolve));
    const first = send(route, `${route}-key-1`, `${route} first`);
    // Its records are at the queue, so its key is taken and its answer not given yet.
    await queued;
    const pending = await send(route, `${route}-key-1`, `${route} first`);
    // OTLP exporters and Loki clients retry 5xx, not 409.
    assert.equal(pending.statusCode, route === 'logs' ? 409 : 503, pending.body);
    assert.equal(pending.headers['retry-after'], '1');
    release!();
    const answer = await first;
    assert.equal(answer.statusCode, ROUTES[route].ok, answer.body);
    assert.equal(stored.length, 1);
    assert.equal(stored[0]!.idempotency?.key, `${route}-key-1`);

    const retry = await send(route, `${route}-key-1`, `${route} first`);
    assert.equal(retry.statusCode, answer.statusCode);
    assert.equal(retry.headers['idempotent-replayed'], 'true');
    assert.equal(retry.body, answer.body, 'the same answer, in the route’s own format');
    assert.equal(stored.length, 1, 'nothing queued again');

    const reused = await send(route, `${route}-key-1`, `${route} other`);
    assert.equal(reused.statusCode, 422, reused.body);
    assert.equal(stored.length, 1);
  });
}

test('a key stored on one route is another request on another route, even with the same bytes', async () => {
  held = undefined;
  stored.length = 0;
  // A body both routes take: a record to POST /api/v1/logs, an export to POST /v1/logs.
  const payload = JSON.stringify({ service: 'api', message: 'shared', ...JSON.parse(ROUTES.otlp.payload('shared')) });
  const post = (url: string) =>
    app.inject({
      method: 'POST',
      url,
      headers: { authorization: `Bearer ${KEY}`, 'content-type': 'application/json', 'idempotency-key': 'shared-1' },
      payload,
    });
  const logs = await post('/api/v1/logs');
  assert.equal(logs.statusCode, 202, logs.body);
  const otlp = await post('/v1/logs');
  assert.equal(otlp.statusCode, 422, otlp.body);
  assert.equal(stored.length, 1);
  // Without the key the same export is stored.
  const keyless = await app.inject({
    method: 'POST',
    url: '/v1/logs',
    headers: { authorization: `Bearer ${KEY}`, 'content-type': 'application/json' },
    payload,
  });
  assert.equal(keyless.statusCode, 200, keyless.body);
  assert.equal(stored.length, 2);
});
