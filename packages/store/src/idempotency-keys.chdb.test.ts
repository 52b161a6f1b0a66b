import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';
import { createIdempotencyKeyStore } from './idempotency-keys.ts';
import { migrate } from './migrations.ts';
import { openChdbForTest, type OpenedTransport } from './transport-contract.ts';

let opened: OpenedTransport;
before(async () => {
  opened = await openChdbForTest('idempotency-keys-');
  await migrate(opened.transport, 'keys_db');
});
after(() => opened.close());

const part = (tenant: string, key: string, n = 0) => ({
  tenant,
  key,
  digest: `digest-of-${key}`,
  part: `${n}/2`,
  source: `logs/0/${n}`,
});
const sorted = <T extends { tenant: string; key: string; part: string }>(rows: T[]) =>
  rows.map((r) => `${r.tenant} ${r.key} ${r.part}`).sort();

test('remembered parts are found by tenant and key, every part, and nothing of other pairs', async () => {
  const keys = createIdempotencyKeyStore(opened.transport, 'keys_db', { windowS: 600 });
  await keys.remember([part('acme', 'k1', 0), part('acme', 'k1', 1), part('acme', 'k2'), part('globex', 'k3')]);
  const found = await keys.find([
    { tenant: 'acme', key: 'k1' },
    { tenant: 'globex', key: 'k3' },
  ]);
  assert.deepEqual(sorted(found), ['acme k1 0/2', 'acme k1 1/2', 'globex k3 0/2']);
  assert.deepEqual(
    found.find((r) => r.part === '1/2'),
    part('acme', 'k1', 1),
  );
  assert.deepEqual(await keys.find([{ tenant: 'acme', key: 'k3' }]), [], 'a key of another tenant is not this one');
  assert.deepEqual(await keys.find([]), []);
});

test('a key whose window has ended is not found', async () => {
  const longAgo = createIdempotencyKeyStore(opened.transport, 'keys_db', {
    windowS: 600,
    clock: () => Date.now() - 601_000,
  });
  await longAgo.remember([part('acme', 'old')]);
  const keys = createIdempotencyKeyStore(opened.transport, 'keys_db', { windowS: 600 });
  assert.deepEqual(await keys.find([{ tenant: 'acme', key: 'old' }]), []);
  await keys.remember([part('acme', 'old')]);
  assert.deepEqual(sorted(await keys.find([{ tenant: 'acme', key: 'old' }])), ['acme old 0/2']);
});
