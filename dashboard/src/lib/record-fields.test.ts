import { test } from 'node:test';
import assert from 'node:assert/strict';
import { commonAttributeKeys, recordFields } from './record-fields.ts';
import { record } from './test-records.ts';

test('the expanded row lists the record fields, then attributes and resource, each with its query field', () => {
  const fields = recordFields(
    record('r1', {
      trace_id: 'ab'.repeat(16),
      attributes: { 'http.status_code': '500', a: 'x' },
      resource: { 'host.name': 'h1' },
    }),
  );
  assert.deepEqual(
    fields.map((f) => f.label),
    [
      'timestamp',
      'service',
      'level',
      'severity',
      'message',
      'trace_id',
      'a',
      'http.status_code',
      'resource.host.name',
      'id',
    ],
  );
  assert.equal(fields.find((f) => f.label === 'http.status_code')?.queryField, 'attributes.http.status_code');
  assert.equal(fields.find((f) => f.label === 'resource.host.name')?.queryField, 'resource.host.name');
  assert.equal(fields.find((f) => f.label === 'message')?.queryField, undefined);
});

test('common attribute keys are the frequent ones whose values repeat, most frequent first', () => {
  const records = Array.from({ length: 10 }, (_, i) =>
    record(`r${i}`, {
      attributes: {
        order_id: `o-${i}`,
        'http.method': i % 2 ? 'GET' : 'POST',
        ...(i < 4 ? { provider: 'stripe' } : {}),
      },
      resource: { 'service.name': 'api', 'host.name': 'h1' },
    }),
  );
  assert.deepEqual(commonAttributeKeys(records), ['host.name', 'http.method', 'provider']);
  assert.deepEqual(commonAttributeKeys(records, 1), ['host.name']);
  assert.deepEqual(commonAttributeKeys([]), []);
});
