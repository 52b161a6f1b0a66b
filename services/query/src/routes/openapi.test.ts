import assert from 'node:assert/strict';
import { mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, test } from 'node:test';
import type { FastifyInstance } from 'fastify';
import { API_ROUTES, openApiDocument } from '@instant-logs/schema';
import { declaredRoutes, parseApiKeys } from '@instant-logs/service-kit';
import {
  createAlertStore,
  createChdbTransport,
  createLogStore,
  createSavedObjectStore,
  type ClickHouseTransport,
} from '@instant-logs/store';
import { buildApp } from '../app.ts';

const KEY = 'openapi-test-key-0001';
let transport: ClickHouseTransport;
let app: FastifyInstance;

before(async () => {
  transport = createChdbTransport({ path: mkdtempSync(join(tmpdir(), 'idl-query-openapi-')) });
  const store = createLogStore(transport, 'query_openapi');
  await store.migrate();
  const now = new Date().toISOString();
  await store.insert(
    JSON.stringify({
      id: 'o1',
      tenant: 'team',
      timestamp: now,
      observed_timestamp: now,
      service: 'billing',
      level: 'warn',
      severity_text: 'WARN',
      severity_number: 13,
      body: 'invoice retry scheduled',
      attributes: { region: 'eu' },
      resource: {},
      trace_id: '',
      span_id: '',
    }),
  );
  app = buildApp({
    store,
    keyring: parseApiKeys(`${KEY}:team:query+admin`),
    saved: {
      saved: createSavedObjectStore(transport, 'query_openapi'),
      alerts: createAlertStore(transport, 'query_openapi'),
    },
    alerting: { evaluate: false },
  });
  await app.ready();
});
after(async () => {
  await app.close();
  await transport.close();
});

type Operation = { 'x-access': string; responses: Record<string, unknown> };
const paths = openApiDocument()['paths'] as Record<string, Record<string, Operation>>;

test('the OpenAPI document is served without a key, and is the committed openapi.json', async () => {
  const res = await app.inject({ url: '/api/v1/openapi.json' });
  assert.equal(res.statusCode, 200);
  assert.match(String(res.headers['content-type']), /^application\/json/);
  const served = res.json();
  assert.equal(served.openapi, '3.1.0');
  assert.deepEqual(served, JSON.parse(readFileSync(new URL('../../../../openapi.json', import.meta.url), 'utf8')));
});

test('every /api route the query service registers is in the document, with the access it declares', () => {
  const routes = declaredRoutes(app).filter((r) => r.url.startsWith('/api/') && r.method !== 'HEAD');
  assert.ok(routes.length >= 8, `only ${routes.length} routes found`);
  for (const route of routes) {
    const operation = paths[route.url.replace(/:(\w+)/g, '{$1}')]?.[route.method.toLowerCase()];
    assert.ok(
      operation,
      `${route.method} ${route.url} is missing from the OpenAPI document (packages/schema/src/api-routes.ts)`,
    );
    assert.equal(operation['x-access'], route.access, `${route.method} ${route.url}`);
  }
});

test("every query-service answer with a declared shape parses with the route's zod schema", async () => {
  const headers = { authorization: `Bearer ${KEY}`, 'content-type': 'application/json' };
  const calls: Record<string, { url: string; method?: 'POST' | 'PUT'; payload?: string | object }> = {
    'GET /api/v1/logs': { url: '/api/v1/logs?from=now-1h' },
    'GET /api/v1/logs/histogram': { url: '/api/v1/logs/histogram?from=now-1h&buckets=6' },
    'GET /api/v1/facets': { url: '/api/v1/facets?from=now-1h&attribute=region' },
    'GET /api/v1/patterns': { url: '/api/v1/patterns?from=now-1h' },
    'POST /api/v1/tail/ticket': { url: '/api/v1/tail/ticket', method: 'POST' as const, payload: '{}' },
    'GET /api/v1/admin/usage': { url: '/api/v1/admin/usage' },
    'POST /api/v1/admin/delete': {
      url: '/api/v1/admin/delete',
      method: 'POST' as const,
      payload: { q: 'nothing-matches-this' },
    },
  };
  const view = (
    await app.inject({ headers, url: '/api/v1/views', method: 'POST', payload: { name: 'shaped' } })
  ).json();
  const rule = { name: 'r', condition: { op: '>', threshold: 1, window_minutes: 5 } };
  const webhook = { type: 'json', url: 'http://127.0.0.1:9/hook' };
  const alert = (
    await app.inject({ headers, url: '/api/v1/alerts', method: 'POST', payload: { ...rule, webhook } })
  ).json();
  Object.assign(calls, {
    'GET /api/v1/views': { url: '/api/v1/views' },
    'POST /api/v1/views': { url: '/api/v1/views', method: 'POST' as const, payload: { name: 'another', q: 'x' } },
    'GET /api/v1/views/:id': { url: `/api/v1/views/${view.id}` },
    'PUT /api/v1/views/:id': { url: `/api/v1/views/${view.id}`, method: 'PUT' as const, payload: { name: 'renamed' } },
    'GET /api/v1/alerts': { url: '/api/v1/alerts' },
    'POST /api/v1/alerts': { url: '/api/v1/alerts', method: 'POST' as const, payload: { ...rule, webhook } },
    'GET /api/v1/alerts/:id': { url: `/api/v1/alerts/${alert.id}` },
    'PUT /api/v1/alerts/:id': {
      url: `/api/v1/alerts/${alert.id}`,
      method: 'PUT' as const,
      payload: { ...rule, webhook, enabled: false },
    },
    'GET /api/v1/alerts/:id/history': { url: `/api/v1/alerts/${alert.id}/history` },
  });
  const shaped = API_ROUTES.filter((r) => r.response.schema && r.access !== 'ingest');
  assert.deepEqual(
    shaped.map((r) => `${r.method} ${r.path}`).sort(),
    Object.keys(calls).sort(),
    'a call for every shaped route',
  );
  for (const route of shaped) {
    const res = await app.inject({ headers, ...calls[`${route.method} ${route.path}`]! });
    assert.equal(res.statusCode, route.response.status, `${route.method} ${route.path}: ${res.body}`);
    const parsed = route.response.schema!.safeParse(res.json());
    assert.ok(parsed.success, `${route.method} ${route.path}: ${parsed.error?.message}`);
  }
  // Serialised from the schema, the record keeps every field and its attributes.
  const page = (await app.inject({ headers, url: '/api/v1/logs?from=now-1h&q=service:billing' })).json();
  assert.deepEqual(
    page.records.map((r: { id: string; attributes: unknown }) => [r.id, r.attributes]),
    [['o1', { region: 'eu' }]],
  );
});
