import assert from 'node:assert/strict';
import { test } from 'node:test';
import Fastify from 'fastify';
import { installCors } from './cors.ts';
import { installErrorHandler } from './errors.ts';

const ALLOWED = 'https://logs.example.com';

async function appWith(origins: string[]) {
  const app = Fastify();
  await app.register(async (scope) => {
    installErrorHandler(scope, 'TEST');
    installCors(scope, { origins });
    // Stands in for API-key auth: a preflight must be answered before it.
    scope.addHook('onRequest', async (request) => {
      if (request.headers.authorization !== 'Bearer k') throw Object.assign(new Error('no key'), { statusCode: 401 });
    });
    scope.get('/api/v1/logs', async () => ({ records: [] }));
    scope.post('/api/v1/ingest', async () => ({ accepted: 0 }));
  });
  return app;
}

const preflight = (origin: string, url = '/api/v1/logs') => ({
  method: 'OPTIONS' as const,
  url,
  headers: { origin, 'access-control-request-method': 'GET', 'access-control-request-headers': 'authorization' },
});

test('with no origins configured no response carries CORS headers and preflights are not answered', async () => {
  const app = await appWith([]);
  const get = await app.inject({ url: '/api/v1/logs', headers: { origin: ALLOWED, authorization: 'Bearer k' } });
  assert.equal(get.statusCode, 200);
  assert.deepEqual(
    Object.keys(get.headers).filter((h) => h.startsWith('access-control-')),
    [],
  );
  const pre = await app.inject(preflight(ALLOWED));
  assert.equal(pre.statusCode, 404);
  assert.deepEqual(
    Object.keys(pre.headers).filter((h) => h.startsWith('access-control-')),
    [],
  );
});

test('a preflight from an allowed origin is answered without a key, naming that origin', async () => {
  const app = await appWith([ALLOWED]);
  const res = await app.inject(preflight(ALLOWED, '/api/v1/ingest'));
  assert.equal(res.statusCode, 204);
  assert.equal(res.headers['access-control-allow-origin'], ALLOWED);
  assert.match(
    String(res.headers['access-control-allow-headers']),
    /Authorization.*Content-Type.*X-API-Key.*Content-Encoding/,
  );
  assert.match(String(res.headers['access-control-allow-methods']), /POST/);
  assert.equal(res.headers['vary'], 'Origin');
  assert.equal(res.headers['access-control-allow-credentials'], undefined);
});

test('a preflight from another origin is refused without CORS headers', async () => {
  const app = await appWith([ALLOWED]);
  const res = await app.inject(preflight('https://evil.example.net'));
  assert.equal(res.statusCode, 403);
  assert.equal(res.headers['access-control-allow-origin'], undefined);
  assert.equal(res.json().error.field, 'origin');
});

test('an allowed origin gets its own origin back on a normal request, never a wildcard', async () => {
  const app = await appWith([`${ALLOWED}/`]);
  const res = await app.inject({ url: '/api/v1/logs', headers: { origin: ALLOWED, authorization: 'Bearer k' } });
  assert.equal(res.statusCode, 200);
  assert.equal(res.headers['access-control-allow-origin'], ALLOWED);
  assert.equal(res.headers['vary'], 'Origin');
  const other = await app.inject({
    url: '/api/v1/logs',
    headers: { origin: 'https://evil.example.net', authorization: 'Bearer k' },
  });
  assert.equal(other.statusCode, 200);
  assert.equal(other.headers['access-control-allow-origin'], undefined);
});

test('routes under a prefix get their preflights answered at their full path', async () => {
  const app = Fastify();
  await app.register(
    async (scope) => {
      installCors(scope, { origins: [ALLOWED] });
      scope.get('/logs', async () => ({}));
    },
    { prefix: '/api/v2' },
  );
  const res = await app.inject(preflight(ALLOWED, '/api/v2/logs'));
  assert.equal(res.statusCode, 204);
  assert.equal(res.headers['access-control-allow-origin'], ALLOWED);
});
