import assert from 'node:assert/strict';
import { test } from 'node:test';
import { parseTenantPolicies, policyFor } from './tenants.ts';

const policies = parseTenantPolicies(
  JSON.stringify({
    defaults: { recordsPerSecond: 1000, burstSeconds: 5, retentionDays: 30 },
    tenants: { 'team-a': { retentionDays: 7, bytesPerSecond: 1_048_576 }, team_b: { recordsPerSecond: 50 } },
  }),
);

test('a tenant’s own fields override the defaults and the rest are inherited', () => {
  assert.deepEqual(policyFor(policies, 'team-a'), {
    recordsPerSecond: 1000,
    burstSeconds: 5,
    retentionDays: 7,
    bytesPerSecond: 1_048_576,
  });
  assert.deepEqual(policyFor(policies, 'team_b'), { recordsPerSecond: 50, burstSeconds: 5, retentionDays: 30 });
});

test('a tenant without an entry gets the defaults', () => {
  assert.deepEqual(policyFor(policies, 'unknown'), { recordsPerSecond: 1000, burstSeconds: 5, retentionDays: 30 });
});

test('an empty document means unlimited rates, the table’s retention and a burst of 2 seconds', () => {
  assert.deepEqual(policyFor(parseTenantPolicies('{}'), 'anyone'), { burstSeconds: 2 });
});

test('a tenant named like an Object.prototype property does not pick up inherited values', () => {
  assert.deepEqual(policyFor(policies, 'constructor'), policyFor(policies, 'unknown'));
});

const bad: [string, unknown, RegExp][] = [
  [
    'a retention that is not a whole number of days',
    { defaults: { retentionDays: 1.5 } },
    /defaults\.retentionDays: .*int/,
  ],
  ['a retention beyond ten years', { tenants: { a: { retentionDays: 3651 } } }, /tenants\.a\.retentionDays: .*3650/],
  ['a zero rate', { tenants: { a: { recordsPerSecond: 0 } } }, /tenants\.a\.recordsPerSecond: .*>0/],
  ['a negative burst', { defaults: { burstSeconds: -1 } }, /defaults\.burstSeconds/],
  ['a rate given as text', { defaults: { bytesPerSecond: '1MB' } }, /defaults\.bytesPerSecond: .*number/],
  ['a misspelt field', { tenants: { a: { recordPerSecond: 5 } } }, /tenants\.a: .*recordPerSecond/],
  ['a tenant name with a space', { tenants: { 'team a': {} } }, /tenants\.team a: a tenant name is 1-64/],
  ['a tenant name longer than 64 characters', { tenants: { ['t'.repeat(65)]: {} } }, /a tenant name is 1-64/],
];
for (const [what, doc, message] of bad) {
  test(`${what} is refused with an error naming the field`, () => {
    assert.throws(() => parseTenantPolicies(JSON.stringify(doc)), message);
  });
}

test('text that is not JSON is refused as such', () => {
  assert.throws(() => parseTenantPolicies('defaults: {}'), /Invalid tenant policies: not valid JSON/);
});

test('every problem in a document is reported at once', () => {
  assert.throws(
    () =>
      parseTenantPolicies(JSON.stringify({ defaults: { retentionDays: 0 }, tenants: { b: { bytesPerSecond: -1 } } })),
    (err: Error) => err.message.includes('defaults.retentionDays') && err.message.includes('tenants.b.bytesPerSecond'),
  );
});
