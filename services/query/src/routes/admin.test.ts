import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import Fastify from 'fastify';
import { LogPage } from '@instant-logs/schema';
import { CodedError, installErrorHandler, type AuditEvent } from '@instant-logs/service-kit';
import { startTestPipeline } from '../../../embedded/src/test-pipeline.ts';
import type { EmbeddedPipeline } from '../../../embedded/src/app.ts';
import { auditRefusedAdminRequests } from './admin.ts';

describe('admin routes on the embedded pipeline', () => {
  let p: EmbeddedPipeline;
  const json = { 'content-type': 'application/json' };

  before(async () => {
    // Auth off: dev mode acts as the default tenant (scope checks are the auth plugin's tests).
    p = await startTestPipeline();
    const records = [
      ...['card declined for user-1', 'card declined for user-2', 'payment captured'].map((message) => ({ service: 'payments', level: 'info', message })),
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
  const remove = (payload: unknown) => p.app.inject({ method: 'POST', url: '/api/v1/admin/delete', payload: JSON.stringify(payload), headers: json });

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
    assert.deepEqual((await search('service:payments')).map((r) => r.body), ['payment captured']);
    assert.equal((await search('service:api')).length, 2);
  });

  test('the delete is in the tenant\'s audit trail, searchable like any log', async () => {
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

test('an admin request refused by auth is audited with the route\'s action', async () => {
  const events: AuditEvent[] = [];
  const app = Fastify();
  await app.register(async (scope) => {
    installErrorHandler(scope, 'QUERY');
    // Stands in for the auth hook: one caller is unknown, the other lacks the admin scope.
    scope.addHook('onRequest', async (request) => {
      request.tenant = 'acme';
      throw request.headers['x-case'] === 'unknown'
        ? new CodedError(401, 'UNAUTHORIZED', 'unknown API key')
        : new CodedError(403, 'FORBIDDEN', 'this key lacks the admin scope');
    });
    auditRefusedAdminRequests(scope, { record: async (e) => void events.push(e) });
    scope.post('/api/v1/admin/delete', async () => ({ deleted: 0 }));
    scope.get('/api/v1/logs', async () => ({ records: [] }));
  });
  assert.equal((await app.inject({ method: 'POST', url: '/api/v1/admin/delete?api_key=x', headers: { 'x-case': 'unknown' } })).statusCode, 401);
  assert.equal((await app.inject({ method: 'POST', url: '/api/v1/admin/delete' })).statusCode, 403);
  assert.equal((await app.inject({ url: '/api/v1/logs' })).statusCode, 403);
  assert.deepEqual(
    events.map((e) => [e.action, e.tenant, e.outcome, e.params['path']]),
    [
      ['admin.delete', null, 'error', '/api/v1/admin/delete'],
      ['admin.delete', 'acme', 'error', '/api/v1/admin/delete'],
    ],
  );
});
