import assert from 'node:assert/strict';
import { test } from 'node:test';
import { LogRecord, parseQueuedLine } from '@instant-logs/schema';
import { AUDIT_SERVICE, createAuditLog, scrubParams, type AuditLogger } from './audit.ts';

const NOW = Date.parse('2026-11-23T12:00:00Z');

// Small in-memory implementations of the two ports the audit log writes to.
function memoryLog() {
  const lines: Array<{ level: string; obj: Record<string, unknown>; msg: string }> = [];
  const at = (level: string) => (obj: object, msg: string) =>
    lines.push({ level, obj: obj as Record<string, unknown>, msg });
  const log: AuditLogger = { info: at('info'), warn: at('warn'), error: at('error') };
  return { log, lines };
}
function memoryStore(fail = false) {
  const rows: string[] = [];
  return {
    rows,
    insert: async (text: string) => (fail ? Promise.reject(new Error('store down')) : void rows.push(text)),
  };
}

const event = {
  action: 'admin.delete',
  principal: 'key-3f2a',
  tenant: 'acme',
  params: {
    q: 'level:debug',
    from: 'now-1d',
    api_key: 'sk-secret-value-123',
    nested: { token: 'sk-secret-value-123', keep: 'yes' },
  },
  outcome: 'ok' as const,
  detail: 'deleted 4 records',
};

test('an event becomes one structured service log line marked audit', async () => {
  const { log, lines } = memoryLog();
  await createAuditLog({ log }).record(event);
  assert.equal(lines.length, 1);
  assert.equal(lines[0]!.level, 'info');
  assert.deepEqual(lines[0]!.obj, {
    audit: true,
    action: 'admin.delete',
    principal: 'key-3f2a',
    tenant: 'acme',
    params: { q: 'level:debug', from: 'now-1d', nested: { keep: 'yes' } },
    outcome: 'ok',
    detail: 'deleted 4 records',
  });
});

test('an event is stored as a valid log record of its tenant under the audit service', async () => {
  const store = memoryStore();
  await createAuditLog({ log: memoryLog().log, store, clock: () => NOW }).record({
    ...event,
    outcome: 'error',
    detail: 'BAD_REQUEST: q: bad',
  });
  assert.equal(store.rows.length, 1);
  const stored = LogRecord.parse(parseQueuedLine(store.rows[0]!));
  assert.equal(stored.tenant, 'acme');
  assert.equal(stored.service, AUDIT_SERVICE);
  assert.equal(stored.level, 'warn');
  assert.equal(stored.timestamp, '2026-11-23T12:00:00.000000000Z');
  assert.equal(stored.attributes['action'], 'admin.delete');
  assert.equal(stored.attributes['outcome'], 'error');
  assert.equal(stored.attributes['params.q'], 'level:debug');
  assert.match(stored.body, /admin\.delete by key-3f2a: error/);
});

test('credential-like parameters never reach the log or the store', async () => {
  const { log, lines } = memoryLog();
  const store = memoryStore();
  await createAuditLog({ log, store }).record(event);
  assert.equal(JSON.stringify(lines).includes('sk-secret'), false);
  assert.equal(store.rows.join('').includes('sk-secret'), false);
  assert.deepEqual(scrubParams({ password: 'x', Authorization: 'y', limit: 5 }), { limit: 5 });
});

test('an event without a tenant goes to the service log only', async () => {
  const { log, lines } = memoryLog();
  const store = memoryStore();
  await createAuditLog({ log, store }).record({
    ...event,
    tenant: null,
    outcome: 'error',
    detail: 'refused: not authenticated',
  });
  assert.equal(lines.length, 1);
  assert.equal(lines[0]!.level, 'warn');
  assert.deepEqual(store.rows, []);
});

test('a store failure is logged and does not fail the audited request', async () => {
  const { log, lines } = memoryLog();
  await createAuditLog({ log, store: memoryStore(true) }).record(event);
  assert.deepEqual(
    lines.map((l) => [l.level, l.msg]),
    [
      ['info', 'Audited an admin action'],
      ['error', 'Failed to store an audit record'],
    ],
  );
});
