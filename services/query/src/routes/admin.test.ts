import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { LogPage } from '@instant-logs/schema';
import { startTestPipeline } from '../../../embedded/src/test-pipeline.ts';
import type { EmbeddedPipeline } from '../../../embedded/src/app.ts';

describe('admin routes on the embedded pipeline', () => {
  let p: EmbeddedPipeline;
  const json = { 'content-type': 'application/json' };

  before(async () => {
    // Auth off: dev mode acts as the default tenant (scope checks are the auth plugin's tests).
    p = await startTestPipeline();
    const records = [
      ...['card declined for user-1', 'card declined for user-2', 'payment captured'].map((message) => ({
        service: 'payments',
        level: 'info',
        message,
      })),
      ...['GET /orders 200', 'GET /orders 500'].map((message) => ({ service: 'api', level: 'info', message })),
    ];
    const res = await p.app.inject({ method: 'POST', url: '/api/v1/logs', payload: records, headers: json });
    assert.equal(res.statusCode, 202, res.body);
  });
  after(() => p.close());

  const search = async (q: string) => {
    const res = await p.app.inject({ url: `/api/v1/logs?from=now-1h&limit=100&q=${encodeURIComponent(q)}` });
    assert.equal(res.statusCode, 200, res.body);
    return LogPage.parse(res.json()).records;
  };
  const remove = (payload: unknown) =>
    p.app.inject({ method: 'POST', url: '/api/v1/admin/delete', payload: JSON.stringify(payload), headers: json });

  test('usage reports the records of each service of the tenant', async () => {
    const res = await p.app.inject({ url: '/api/v1/admin/usage' });
    assert.equal(res.statusCode, 200, res.body);
    const services = (res.json() as { services: Array<{ service: string; records: number; bytes: number }> }).services;
    const byName = Object.fromEntries(services.map((s) => [s.service, s]));
    assert.equal(byName['payments']?.records, 3);
    assert.equal(byName['api']?.records, 2);
    assert.ok(byName['api']!.bytes >= 'GET /orders 200GET /orders 500'.length);
  });

  test('a delete with a query removes exactly the matching records', async () => {
    const res = await remove({ q: '"card declined"' });
    assert.equal(res.statusCode, 200, res.body);
    assert.deepEqual(res.json(), { deleted: 2 });
    assert.deepEqual(
      (await search('service:payments')).map((r) => r.body),
      ['payment captured'],
    );
    assert.equal((await search('service:api')).length, 2);
  });

  test("the delete is in the tenant's audit trail, searchable like any log", async () => {
    const trail = await search('service:instant-logs-audit action:admin.delete outcome:ok');
    assert.ok(trail.length >= 1, 'no audit record of the delete');
    const [entry] = trail;
    assert.equal(entry!.attributes['params.q'], '"card declined"');
    assert.equal(entry!.attributes['principal'], 'anonymous');
    assert.equal(entry!.attributes['detail'], 'deleted 2 records');
  });

  test('a delete with neither a time range nor a query is refused naming the field, and audited', async () => {
    const res = await remove({ q: '  ' });
    assert.equal(res.statusCode, 400, res.body);
    assert.equal(res.json().error.field, 'from');
    assert.equal((await search('service:api')).length, 2);
    const refused = await search('service:instant-logs-audit action:admin.delete outcome:error');
    assert.ok(refused.some((r) => /DELETE_UNBOUNDED/.test(r.attributes['detail'] ?? '')));
  });

  test('a delete with a bad time or unknown field is a 400, not a 500', async () => {
    const badTime = await remove({ from: 'yesterday-ish' });
    assert.equal(badTime.statusCode, 400, badTime.body);
    assert.equal(badTime.json().error.field, 'from');
    const unknown = await remove({ query: 'x' });
    assert.equal(unknown.statusCode, 400, unknown.body);
    assert.equal(unknown.json().error.field, '(body)');
    assert.equal((await search('service:api')).length, 2);
  });

  test('a delete over an explicit time range removes everything in it except the audit trail', async () => {
    const res = await remove({ from: '0', to: 'now' });
    assert.equal(res.statusCode, 200, res.body);
    assert.deepEqual(res.json(), { deleted: 3 });
    assert.deepEqual(await search('-service:instant-logs-audit'), []);
    assert.ok((await search('service:instant-logs-audit')).length >= 3);
  });
});

describe("every admin request is audited in the acting key's tenant", () => {
  const ADMIN = 'acme-admin-key-000001';
  const QUERY = 'acme-query-key-000001';
  const OTHER = 'other-admin-key-00001';
  let p: Awaited<ReturnType<typeof startTestPipeline>>;

  before(async () => {
    p = await startTestPipeline({
      apiKeys: `${ADMIN}:acme:query+admin,${QUERY}:acme:query,${OTHER}:other:query+admin`,
    });
  });
  after(() => p.close());

  const admin = (key: string | undefined, method: 'GET' | 'POST', url: string, payload?: unknown) =>
    p.app.inject({
      method,
      url,
      remoteAddress: '192.0.2.7',
      ...(payload === undefined ? {} : { payload: JSON.stringify(payload) }),
      headers: { 'content-type': 'application/json', ...(key ? { authorization: `Bearer ${key}` } : {}) },
    });
  const trail = async (key: string) => {
    const res = await p.app.inject({
      url: '/api/v1/logs?from=now-1h&limit=100&q=service:instant-logs-audit',
      headers: { authorization: `Bearer ${key}` },
    });
    assert.equal(res.statusCode, 200, res.body);
    return LogPage.parse(res.json()).records.map((r) => r.attributes);
  };

  test("200, 400, 403 (also through an encoded path) land in acme's trail with key, route, status and client; 401 in no tenant's", async () => {
    assert.equal((await admin(ADMIN, 'GET', '/api/v1/admin/usage')).statusCode, 200);
    assert.equal((await admin(ADMIN, 'POST', '/api/v1/admin/delete', { q: ' ' })).statusCode, 400);
    assert.equal((await admin(QUERY, 'POST', '/api/v1/admin/delete', { from: '0' })).statusCode, 403);
    assert.equal((await admin(QUERY, 'GET', '/api/v1/%61dmin/usage')).statusCode, 403);
    assert.equal((await admin(undefined, 'GET', '/api/v1/admin/usage')).statusCode, 401);
    assert.equal((await admin('acme-unknown-key-0001', 'POST', '/api/v1/admin/delete', { from: '0' })).statusCode, 401);

    const acme = await trail(ADMIN);
    const summary = acme
      .map((a) => [a['action'], a['status'], a['outcome'], a['principal']?.startsWith('key:'), a['route'], a['client']])
      .sort();
    assert.deepEqual(summary, [
      ['admin.delete', '400', 'error', true, 'POST /api/v1/admin/delete', '192.0.2.7'],
      ['admin.delete', '403', 'error', true, 'POST /api/v1/admin/delete', '192.0.2.7'],
      ['admin.usage', '200', 'ok', true, 'GET /api/v1/admin/usage', '192.0.2.7'],
      ['admin.usage', '403', 'error', true, 'GET /api/v1/admin/usage', '192.0.2.7'],
    ]);
    assert.ok(acme.some((a) => a['status'] === '400' && /DELETE_UNBOUNDED/.test(a['detail'] ?? '')));
    assert.ok(acme.some((a) => a['status'] === '403' && /lacks the "admin" scope/.test(a['detail'] ?? '')));
    assert.deepEqual(await trail(OTHER), [], "another tenant received acme's audit records");
    // Auth off would act as "default"; with keys nothing may land there.
    const defaults = await p.store.search(
      { tenant: 'default', fromNs: 0n, toNs: 9_223_372_036_854_775_807n, services: [], levels: [], query: null },
      { limit: 10 },
    );
    assert.deepEqual(defaults.records, []);
  });
});
