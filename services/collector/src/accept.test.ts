import assert from 'node:assert/strict';
import { test } from 'node:test';
import { Registry } from 'prom-client';
import { LogRecord, parseTenantPolicies, queuedLineService, parseQueuedLine } from '@instant-logs/schema';
import type { LogQueue, RecordChunk } from '@instant-logs/queue';
import { acceptRecords } from './accept.ts';
import { createCollectorMetrics } from './metrics.ts';
import { createTenantLimits } from './tenant-limits.ts';

/** A queue that keeps what it is given: the port's smallest honest implementation. */
function keepingQueue() {
  const chunks: RecordChunk[] = [];
  const queue: LogQueue = {
    publish: async (chunk) => void chunks.push(chunk),
    ready: async () => true,
    close: async () => {},
  };
  return { queue, chunks };
}

const deps = (queue: LogQueue, policies = '{}') => ({
  queue,
  metrics: createCollectorMetrics(new Registry()),
  clock: () => Date.parse('2026-12-06T12:00:00Z'),
  tenants: createTenantLimits(parseTenantPolicies(policies)),
});

test('accepted records are queued as one line each that parses back to a stored record, refused ones are reported by index', async () => {
  const { queue, chunks } = keepingQueue();
  const items = [
    { record: { service: 'api', message: '日志 🪵' } },
    { record: { service: 'api' } },
    { record: { service: 'db', msg: 'm', level: 50 } },
  ];
  const result = await acceptRecords(items, 'acme', deps(queue));
  assert.deepEqual(
    [result.accepted, result.rejected, result.errors[0]?.index, result.errors[0]?.field],
    [2, 1, 1, 'message'],
  );
  const lines = chunks[0]!.data.toString().split('\n');
  assert.equal(chunks[0]!.rows, 2);
  const stored = lines.map((line) => LogRecord.parse(parseQueuedLine(line)));
  assert.deepEqual(
    stored.map((r) => [r.tenant, r.service, r.body, r.level]),
    [
      ['acme', 'api', '日志 🪵', 'info'],
      ['acme', 'db', 'm', 'error'],
    ],
  );
  assert.deepEqual(lines.map(queuedLineService), ['api', 'db']);
});

test("a tenant's retention travels on each of its lines as retention_days", async () => {
  const { queue, chunks } = keepingQueue();
  await acceptRecords(
    [{ record: { service: 'api', message: 'm' } }],
    'acme',
    deps(queue, '{"tenants":{"acme":{"retentionDays":7}}}'),
  );
  await acceptRecords(
    [{ record: { service: 'api', message: 'm' } }],
    'other',
    deps(queue, '{"tenants":{"acme":{"retentionDays":7}}}'),
  );
  assert.deepEqual(
    chunks.map((c) => parseQueuedLine(c.data.toString()).retention_days),
    [7, undefined],
  );
});
