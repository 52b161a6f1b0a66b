// The collector's side of the API contract: every ingest route declared in packages/schema/src/api-routes.ts answers
// with its declared status and a body its zod schema reads, and its refusals are the coded error every service uses.
// The query service's routes have the same test (services/query/src/routes/openapi.test.ts).
import { after, test } from 'node:test';
import assert from 'node:assert/strict';
import { createInProcessQueue, type RecordChunk } from '@instant-logs/queue';
import { API_ROUTES, ApiError } from '@instant-logs/schema';
import { declaredRoutes, parseApiKeys } from '@instant-logs/service-kit';
import { buildApp } from './app.ts';

const KEY = 'contract-test-key-0001';
const chunks: RecordChunk[] = [];
const app = buildApp({
  queue: createInProcessQueue(async (chunk) => void chunks.push(chunk)),
  keyring: parseApiKeys(`${KEY}:team:ingest`),
  logger: false,
});
after(() => app.close());

const ingestRoutes = API_ROUTES.filter((r) => r.access === 'ingest');
const headers = (type: string) => ({ authorization: `Bearer ${KEY}`, 'content-type': type });

test('every /api route the collector registers is declared, and every declared ingest route is registered', async () => {
  await app.ready();
  const registered = declaredRoutes(app)
    .filter((r) => r.url.startsWith('/api/') && r.method !== 'HEAD')
    .map((r) => `${r.method} ${r.url} ${r.access}`);
  assert.deepEqual(registered.sort(), ingestRoutes.map((r) => `${r.method} ${r.path} ${r.access}`).sort());
});

for (const route of ingestRoutes) {
  test(`${route.method} ${route.path}: good and bad records beside each other answer the declared shape, refusals are coded`, async () => {
    assert.ok(route.response.schema, 'an ingest route declares its answer');
    const body = [
      JSON.stringify({ service: 'billing', message: 'kept' }),
      JSON.stringify({ message: 'no service' }),
      JSON.stringify({ service: 'billing', message: 'kept too', level: 'warn' }),
    ].join('\n');
    for (const type of route.body!.types) {
      const payload = type === 'application/x-ndjson' ? body : `[${body.split('\n').join(',')}]`;
      const res = await app.inject({ method: route.method, url: route.path, headers: headers(type), payload });
      assert.equal(res.statusCode, route.response.status, `${type}: ${res.body}`);
      const parsed = route.response.schema!.parse(res.json());
      assert.deepEqual(parsed, {
        accepted: 2,
        rejected: 1,
        errors: [
          { index: 1, field: 'service', message: (parsed as { errors: { message: string }[] }).errors[0]!.message },
        ],
      });
    }
    const refusals = [
      await app.inject({ method: route.method, url: route.path, headers: headers('application/json'), payload: '' }),
      await app.inject({ method: route.method, url: route.path, headers: headers('text/html'), payload: '<p>' }),
      await app.inject({ method: route.method, url: route.path, headers: headers('application/json'), payload: '{' }),
      await app.inject({ method: route.method, url: route.path, payload: '{}' }),
    ];
    assert.deepEqual(
      refusals.map((r) => r.statusCode),
      [400, 415, 400, 401],
    );
    for (const res of refusals) {
      const parsed = ApiError.safeParse(res.json());
      assert.ok(parsed.success, `${res.statusCode}: ${res.body}`);
    }
  });
}
