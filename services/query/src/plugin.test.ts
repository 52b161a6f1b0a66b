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
  app.inject({ method: 'OPTIONS', url, headers: { origin, 'access-control-request-method': 'POST', 'access-control-request-headers': 'authorization, content-type' } });
const corsHeaders = (headers: Record<string, unknown>) => Object.keys(headers).filter((h) => h.startsWith('access-control-'));

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

test('with CORS origins the listed origin\'s preflights are answered on every API route', async () => {
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
