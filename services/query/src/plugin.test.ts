import assert from 'node:assert/strict';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, test } from 'node:test';
import type { FastifyInstance } from 'fastify';
import { parseApiKeys } from '@instant-logs/service-kit';
import { createChdbTransport, createLogStore, type ClickHouseTransport } from '@instant-logs/store';
import { buildApp } from './app.ts';

const DASHBOARD = 'https://dash.example.com';
let transport: ClickHouseTransport;
let plain: FastifyInstance;
let withCors: FastifyInstance;

before(async () => {
  transport = createChdbTransport({ path: mkdtempSync(join(tmpdir(), 'idl-query-plugin-')) });
  const store = createLogStore(transport, 'query_plugin');
  await store.migrate();
  // logs.local stands for a dev container's name, which ALLOWED_HOSTS admits while auth is off.
  plain = buildApp({ store, keyring: parseApiKeys(''), allowedHosts: ['logs.local'] });
  withCors = buildApp({ store, keyring: parseApiKeys(''), corsOrigins: [DASHBOARD] });
  await Promise.all([plain.ready(), withCors.ready()]);
});
after(async () => {
  await Promise.all([plain.close(), withCors.close()]);
  await transport.close();
});

const preflight = (app: FastifyInstance, url: string, origin = DASHBOARD) =>
  app.inject({
    method: 'OPTIONS',
    url,
    headers: {
      origin,
      'access-control-request-method': 'POST',
      'access-control-request-headers': 'authorization, content-type',
    },
  });
const corsHeaders = (headers: Record<string, unknown>) =>
  Object.keys(headers).filter((h) => h.startsWith('access-control-'));

test('the dashboard page and the API answer with the security headers', async () => {
  for (const url of ['/', '/api/v1/logs?from=now-5m']) {
    const res = await plain.inject({ url, headers: { host: 'logs.local:4000' } });
    assert.equal(res.statusCode, 200, `${url}: ${res.body}`);
    const csp = String(res.headers['content-security-policy']);
    assert.match(csp, /default-src 'self'/, url);
    assert.match(csp, /connect-src 'self' ws:\/\/logs\.local:4000 wss:\/\/logs\.local:4000/, url);
    assert.equal(res.headers['x-content-type-options'], 'nosniff', url);
    assert.equal(res.headers['x-frame-options'], 'DENY', url);
    assert.equal(res.headers['referrer-policy'], 'no-referrer', url);
    assert.equal(res.headers['strict-transport-security'], undefined, url);
  }
});

test('CORS stays off by default: a preflight gets no Access-Control headers', async () => {
  const res = await preflight(plain, '/api/v1/logs');
  assert.notEqual(res.statusCode, 204);
  assert.deepEqual(corsHeaders(res.headers), []);
});

test("with CORS origins the listed origin's preflights are answered on every API route", async () => {
  for (const url of ['/api/v1/logs', '/api/v1/admin/delete', '/api/v1/facets']) {
    const res = await preflight(withCors, url);
    assert.equal(res.statusCode, 204, `${url}: ${res.body}`);
    assert.equal(res.headers['access-control-allow-origin'], DASHBOARD, url);
  }
  const search = await withCors.inject({ url: '/api/v1/logs?from=now-5m', headers: { origin: DASHBOARD } });
  assert.equal(search.statusCode, 200);
  assert.equal(search.headers['access-control-allow-origin'], DASHBOARD);
  const stranger = await preflight(withCors, '/api/v1/logs', 'https://evil.example.net');
  assert.equal(stranger.statusCode, 403);
  assert.deepEqual(corsHeaders(stranger.headers), []);
});

test('a query syntax error answers QUERY_SYNTAX with the position as a field, not in the message', async () => {
  const res = await plain.inject({ url: `/api/v1/logs?q=${encodeURIComponent('service:(oops')}` });
  assert.equal(res.statusCode, 400);
  const { error } = res.json();
  assert.equal(error.code, 'QUERY_SYNTAX');
  assert.equal(error.field, 'q');
  assert.equal(error.position, 8);
  assert.doesNotMatch(error.message, / at \d+$/);
});

test('level= takes the aliases level: takes, and an unknown level is a coded error naming the field', async () => {
  const ok = await plain.inject({ url: '/api/v1/logs?level=warning&level=ERR' });
  assert.equal(ok.statusCode, 200, ok.body);
  const viaQuery = await plain.inject({ url: `/api/v1/logs?q=${encodeURIComponent('level:warning')}` });
  assert.equal(viaQuery.statusCode, 200, viaQuery.body);
  const bad = await plain.inject({ url: '/api/v1/logs?level=info&level=loud' });
  assert.equal(bad.statusCode, 400);
  assert.deepEqual(bad.json(), {
    error: {
      code: 'QUERY_BAD_REQUEST',
      message: 'level: "loud" is not a level; use trace, debug, info, warn, error, fatal or an alias such as warning',
      field: 'level',
    },
  });
});

test('another method on a known path is 405 with Allow', async () => {
  const res = await plain.inject({ method: 'DELETE', url: '/api/v1/logs' });
  assert.equal(res.statusCode, 405);
  assert.equal(res.headers['allow'], 'GET, HEAD');
  assert.equal(res.json().error.code, 'QUERY_METHOD_NOT_ALLOWED');
});

test('a plain GET of the live tail is 426 with a coded body', async () => {
  const res = await plain.inject({ url: '/api/v1/tail' });
  assert.equal(res.statusCode, 426);
  assert.equal(res.headers['upgrade'], 'websocket');
  assert.equal(res.json().error.code, 'QUERY_UPGRADE_REQUIRED');
  assert.match(res.json().error.message, /WebSocket endpoint/);
});

test('a body that is not JSON is a 415 listing application/json, text/plain included', async () => {
  const res = await plain.inject({
    method: 'POST',
    url: '/api/v1/admin/delete',
    payload: '{"from":"0"}',
    headers: { 'content-type': 'text/plain' },
  });
  assert.equal(res.statusCode, 415);
  assert.equal(res.json().error.code, 'QUERY_UNSUPPORTED_MEDIA_TYPE');
  assert.match(res.json().error.message, /send one of: application\/json$/);
});
