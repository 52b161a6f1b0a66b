import assert from 'node:assert/strict';
import { test } from 'node:test';
import { parseTenantPolicies, type TenantPolicies } from '@instant-logs/schema';
import { CodedError } from '@instant-logs/service-kit';
import { createTenantLimits, throttledError } from './tenant-limits.ts';

function limitsWith(doc: object) {
  let now = 1_000_000;
  const policies: TenantPolicies = parseTenantPolicies(JSON.stringify(doc));
  const limits = createTenantLimits(policies, () => now);
  return { limits, advance: (ms: number) => void (now += ms) };
}

// 10 records/s with a 2 s burst: the bucket holds 20 records.
const tenRecords = { tenants: { a: { recordsPerSecond: 10, burstSeconds: 2 } } };

test('a fresh bucket admits a whole burst at once', () => {
  const { limits } = limitsWith(tenRecords);
  assert.equal(limits.take('a', 20, 0), undefined);
});

test('a request beyond the tokens left is refused whole and takes nothing', () => {
  const { limits } = limitsWith(tenRecords);
  assert.equal(limits.take('a', 15, 0), undefined);
  assert.equal(limits.take('a', 6, 0)?.limit, 'records_per_second');
  assert.equal(limits.take('a', 5, 0), undefined, 'the refused request must not have taken its 6 tokens');
});

test('tokens refill at the configured rate as the clock moves', () => {
  const { limits, advance } = limitsWith(tenRecords);
  assert.equal(limits.take('a', 20, 0), undefined);
  assert.ok(limits.take('a', 10, 0));
  advance(1000);
  assert.equal(limits.take('a', 10, 0), undefined);
  assert.ok(limits.take('a', 1, 0));
});

test('an idle tenant saves up no more than one burst', () => {
  const { limits, advance } = limitsWith(tenRecords);
  advance(60_000);
  assert.equal(limits.take('a', 20, 0), undefined);
  assert.ok(limits.take('a', 1, 0));
});

test('Retry-After is the time the deficit takes to refill, rounded up', () => {
  const { limits } = limitsWith(tenRecords);
  assert.equal(limits.take('a', 20, 0), undefined);
  assert.equal(limits.take('a', 15, 0)?.retryAfterSeconds, 2); // 15 missing at 10/s = 1.5 s
  assert.equal(limits.take('a', 20, 0)?.retryAfterSeconds, 2);
});

test('Retry-After is at least one second even for a tiny deficit', () => {
  const { limits, advance } = limitsWith(tenRecords);
  assert.equal(limits.take('a', 20, 0), undefined);
  advance(950); // 9.5 tokens back
  assert.equal(limits.take('a', 10, 0)?.retryAfterSeconds, 1);
});

test('a request bigger than the bucket is admitted when the bucket is full', () => {
  const { limits } = limitsWith(tenRecords);
  assert.equal(limits.take('a', 50, 0), undefined);
});

test('an oversized request leaves debt that delays the next requests so the long-run rate holds', () => {
  const { limits, advance } = limitsWith(tenRecords);
  assert.equal(limits.take('a', 50, 0), undefined); // 20 - 50 = -30 tokens
  assert.equal(limits.take('a', 10, 0)?.retryAfterSeconds, 4); // (10 + 30) / 10
  advance(3900);
  assert.ok(limits.take('a', 10, 0));
  advance(100);
  assert.equal(limits.take('a', 10, 0), undefined);
});

test('an oversized request waits until the bucket is full again, then goes through', () => {
  const { limits, advance } = limitsWith(tenRecords);
  assert.equal(limits.take('a', 5, 0), undefined);
  const refusal = limits.take('a', 50, 0);
  assert.equal(refusal?.retryAfterSeconds, 1); // 5 missing for a full bucket at 10/s = 0.5 s
  advance(500);
  assert.equal(limits.take('a', 50, 0), undefined);
});

test('the bytes limit refuses on its own and names itself', () => {
  const { limits } = limitsWith({ tenants: { a: { recordsPerSecond: 1000, bytesPerSecond: 1000, burstSeconds: 1 } } });
  assert.equal(limits.take('a', 1, 800), undefined);
  const refusal = limits.take('a', 1, 500);
  assert.equal(refusal?.limit, 'bytes_per_second');
  assert.equal(refusal?.retryAfterSeconds, 1);
});

test('a request refused by one limit takes nothing from the other', () => {
  const { limits } = limitsWith({ tenants: { a: { recordsPerSecond: 10, bytesPerSecond: 100, burstSeconds: 1 } } });
  assert.equal(limits.take('a', 1, 60), undefined); // 9 records and 40 bytes left
  assert.equal(limits.take('a', 5, 50)?.limit, 'bytes_per_second');
  assert.equal(limits.take('a', 9, 40), undefined, 'the refused request must not have taken 5 records');
});

test('when both limits refuse, the longer wait is reported', () => {
  const { limits } = limitsWith({ tenants: { a: { recordsPerSecond: 10, bytesPerSecond: 100, burstSeconds: 1 } } });
  assert.equal(limits.take('a', 10, 100), undefined);
  const refusal = limits.take('a', 5, 100);
  assert.deepEqual([refusal?.limit, refusal?.retryAfterSeconds], ['bytes_per_second', 1]);
  const longer = limits.take('a', 10, 50);
  assert.deepEqual([longer?.limit, longer?.retryAfterSeconds], ['records_per_second', 1]);
});

test('tenants have separate buckets and defaults apply to unlisted tenants', () => {
  const { limits } = limitsWith({
    defaults: { recordsPerSecond: 1, burstSeconds: 1 },
    tenants: { a: { recordsPerSecond: 100 } },
  });
  assert.equal(limits.take('x', 1, 0), undefined);
  assert.ok(limits.take('x', 1, 0));
  assert.equal(limits.take('y', 1, 0), undefined);
  assert.equal(limits.take('a', 100, 0), undefined);
});

test('a tenant without rates is never refused', () => {
  const { limits } = limitsWith({ tenants: { a: { retentionDays: 7 } } });
  for (let i = 0; i < 5; i++) assert.equal(limits.take('a', 100_000, 5_000_000), undefined);
});

test('only configured tenants get their own metric label', () => {
  const { limits } = limitsWith({ defaults: { recordsPerSecond: 1 }, tenants: { a: {} } });
  assert.deepEqual([limits.label('a'), limits.label('b'), limits.label('toString')], ['a', 'other', 'other']);
});

test('the refusal becomes a 429 naming the tenant and the limit, with Retry-After', () => {
  const err = throttledError({ tenant: 'a', limit: 'bytes_per_second', rate: 1000, retryAfterSeconds: 3 });
  assert.ok(err instanceof CodedError);
  assert.equal(err.statusCode, 429);
  assert.equal(err.code, 'TENANT_RATE_LIMITED');
  assert.match(err.message, /tenant "a".*1000 bytes per second/);
  assert.deepEqual(err.headers, { 'retry-after': '3' });
});
