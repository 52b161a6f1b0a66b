import assert from 'node:assert/strict';
import { test } from 'node:test';
import Fastify from 'fastify';
import { contentSecurityPolicy, installSecurityHeaders } from './security-headers.ts';
import { KIT_ERRORS, installErrorHandler } from './errors.ts';

async function appWith(hsts: boolean) {
  const app = Fastify();
  await app.register(async (scope) => {
    installErrorHandler(scope, 'TEST');
    installSecurityHeaders(scope, { hsts });
    scope.get('/', async (_req, reply) => reply.type('text/html').send('<p>hi</p>'));
    scope.get('/fails', async () => {
      throw KIT_ERRORS.BAD_REQUEST({ reason: 'q: bad', field: 'q' });
    });
  });
  return app;
}

test('every response carries the hardening headers, error answers included', async () => {
  const app = await appWith(false);
  for (const url of ['/', '/fails']) {
    const res = await app.inject({ url, headers: { host: 'logs.local:8080' } });
    assert.equal(res.headers['x-content-type-options'], 'nosniff', url);
    assert.equal(res.headers['referrer-policy'], 'no-referrer', url);
    assert.equal(res.headers['x-frame-options'], 'DENY', url);
    assert.equal(res.headers['cross-origin-opener-policy'], 'same-origin', url);
    assert.match(String(res.headers['content-security-policy']), /frame-ancestors 'none'/, url);
  }
});

test('strict transport security is sent only when asked for', async () => {
  assert.equal((await (await appWith(false)).inject({ url: '/' })).headers['strict-transport-security'], undefined);
  assert.match(
    String((await (await appWith(true)).inject({ url: '/' })).headers['strict-transport-security']),
    /max-age=\d+/,
  );
});

test('the policy lets live tail open a WebSocket to the same host and nowhere else', () => {
  const policy = contentSecurityPolicy('logs.local:8080');
  assert.match(policy, /connect-src 'self' ws:\/\/logs\.local:8080 wss:\/\/logs\.local:8080;/);
  assert.match(policy, /default-src 'self'/);
  assert.match(policy, /object-src 'none'/);
  assert.match(policy, /base-uri 'none'/);
  assert.doesNotMatch(policy, /script-src[^;]*unsafe/);
});

test('a host header that is not host:port never reaches the policy', () => {
  assert.match(contentSecurityPolicy("evil.com; script-src 'unsafe-eval'"), /connect-src 'self';/);
  assert.doesNotMatch(contentSecurityPolicy("evil.com; script-src 'unsafe-eval'"), /evil/);
});
