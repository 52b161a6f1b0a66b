import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';
import { createIdempotencyKeyStore, urlSizedSlices } from './idempotency-keys.ts';
import { migrate } from './migrations.ts';
import { openHttpForTest, type OpenedTransport } from './transport-contract.ts';

let opened: OpenedTransport;
before(async () => {
  opened = await openHttpForTest();
  await migrate(opened.transport, 'keys_http');
});
after(() => opened.close());

// A batch of the processor's 50,000 rows may be as many Elasticsearch documents, each named by its `_id`: its keys
// are looked up at once, and over HTTP every parameter travels in the request's URL.
test("a batch's worth of keys of named documents is looked up in one find over HTTP", async () => {
  const keys = createIdempotencyKeyStore(opened.transport, 'keys_http', { windowS: 600 });
  const named = (i: number) =>
    `_id ${JSON.stringify(['filebeat-2026.12.07', `${i}-4f7c0a1e-9b2d-4c3e-8a5f-6d7e8f9a0b1c`])}`;
  const stored = Array.from({ length: 50_000 }, (_, i) => ({
    tenant: 'acme',
    key: named(i),
    digest: 'document',
    part: '0/1',
    source: `logs/0/${i}`,
  }));
  await keys.remember(stored.filter((_, i) => i % 10 === 0));
  const found = await keys.find(stored.map(({ tenant, key }) => ({ tenant, key })));
  assert.deepEqual(
    found.map((f) => f.key).sort(),
    stored
      .filter((_, i) => i % 10 === 0)
      .map((s) => s.key)
      .sort(),
  );
});

test('keys are cut into lookups whose URL stays under the cap, each key once and in order', () => {
  const wanted = Array.from({ length: 6_000 }, (_, i) => ({ tenant: 'acme', key: `${'"'.repeat(i % 700)}${i}` }));
  const slices = urlSizedSlices(wanted);
  assert.ok(slices.length > 1);
  assert.deepEqual(slices.flat(), wanted);
  for (const slice of slices) {
    const encoded = slice.reduce(
      (n, w) => n + encodeURIComponent(w.tenant).length + encodeURIComponent(w.key).length,
      0,
    );
    assert.ok(encoded <= 256 * 1024, `${encoded} bytes`);
  }
  assert.deepEqual(urlSizedSlices([]), []);
});
