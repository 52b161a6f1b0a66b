import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { randomUUID } from 'node:crypto';
import fc from 'fast-check';
import { Facets, Histogram, LogPage, type LogRecord } from '@instant-logs/schema';
import { eventually, startTestPipeline } from './test-pipeline.ts';
import type { EmbeddedPipeline } from './app.ts';

const KEY_A = 'tenant-a-key-0000001';
const KEY_B = 'tenant-b-key-0000001';
const RANGE = 'from=now-1h&to=now';
let p: EmbeddedPipeline;
let port = 0;
const bIds = new Set<string>();
let aCount = 0;

const ingest = async (key: string, records: unknown[]) => {
  const res = await p.app.inject({
    method: 'POST',
    url: '/api/v1/logs',
    payload: records,
    headers: { 'content-type': 'application/json', authorization: `Bearer ${key}` },
  });
  assert.equal(res.statusCode, 202, res.body);
};
const get = async (key: string, url: string) => {
  const res = await p.app.inject({ method: 'GET', url, headers: { authorization: `Bearer ${key}` } });
  assert.ok(res.statusCode < 500, `${url} answered ${res.statusCode}: ${res.body}`);
  return { status: res.statusCode, body: res.json() as unknown };
};

// b's records are built to match whatever a might type: common words, a's service names,
// attributes named like columns, values naming both tenants, SQL in every field.
const bRecord = (i: number) => ({
  service: i % 2 === 0 ? 'checkout' : 'b-only-svc',
  level: ['info', 'error', 'warn', 'debug'][i % 4],
  message: `error timeout the a b checkout record ${i} ' OR 1=1 -- ) OR (tenant = 'b' b-only-word`,
  attributes: {
    tenant: 'b',
    id: 'b-only-value',
    service: 'checkout',
    level: 'error',
    body: 'a',
    secret: 'b-only-value',
    "' OR 1=1 --": 'b-only-value',
  },
  resource: { tenant: 'b', 'service.name': 'checkout' },
});
const aRecord = (i: number) => ({
  service: i % 2 === 0 ? 'checkout' : 'api',
  level: 'error',
  message: `error timeout the a checkout record ${i}`,
  attributes: { id: String(i) },
});

const HOSTILE = [
  '',
  '*',
  'tenant:b',
  'tenant:*',
  'tenant:"b"',
  '-tenant:a',
  'attributes.tenant:b',
  'resource.tenant:b',
  "' OR 1=1 --",
  "' OR 1=1",
  ") OR (tenant = 'b'",
  "x) OR (tenant = 'b'",
  "\"') OR (tenant = 'b'\"",
  'id:*',
  'id:b-only-value',
  'service:checkout',
  'service:b-only-svc',
  'timestamp:*',
  'tenant:b OR tenant:a',
  'NOT tenant:a',
  'b-only-word',
  'secret:*',
  'level:error OR -level:error',
  'body:a',
  'message:*',
  'trace_id:*',
  '-a',
  'n:>-1e308',
  '{tenant:String}',
];
const piece = fc.constantFrom(
  'tenant',
  'id',
  'service',
  'level',
  'body',
  'message',
  'attributes.tenant',
  'resource.tenant',
  ':',
  'b',
  'a',
  '*',
  ' ',
  'OR',
  'AND',
  'NOT',
  '-',
  '(',
  ')',
  '"',
  "'",
  '=',
  '1',
  ';',
  '--',
  'b-only-svc',
  'checkout',
);
const queries = fc.oneof(
  fc.constantFrom(...HOSTILE),
  fc.array(piece, { maxLength: 12 }).map((a) => a.join('')),
  fc.string({ maxLength: 20 }),
);

before(async () => {
  p = await startTestPipeline({ apiKeys: `${KEY_A}:a,${KEY_B}:b`, logger: false });
  await ingest(
    KEY_A,
    Array.from({ length: 6 }, (_, i) => aRecord(i)),
  );
  await ingest(
    KEY_B,
    Array.from({ length: 20 }, (_, i) => bRecord(i)),
  );
  aCount = 6;
  const page = LogPage.parse((await get(KEY_B, `/api/v1/logs?${RANGE}&limit=1000`)).body);
  for (const r of page.records) bIds.add(r.id);
  assert.equal(bIds.size, 20);
  await p.app.listen({ host: '127.0.0.1', port: 0 });
  const address = p.app.server.address();
  port = typeof address === 'object' && address ? address.port : 0;
});
after(() => p.close());

const assertOnlyA = (records: readonly LogRecord[], q: string) => {
  for (const r of records) {
    assert.equal(r.tenant, 'a', `q=${JSON.stringify(q)} returned a record of ${r.tenant}`);
    assert.ok(!bIds.has(r.id), `q=${JSON.stringify(q)} returned b's record ${r.id}`);
  }
};

describe('tenant a never sees tenant b, whatever the query says', () => {
  test("search returns only a's records", async () => {
    await fc.assert(
      fc.asyncProperty(queries, async (q) => {
        const { status, body } = await get(KEY_A, `/api/v1/logs?${RANGE}&limit=1000&q=${encodeURIComponent(q)}`);
        if (status !== 200) return;
        const page = LogPage.parse(body);
        assert.ok(page.records.length <= aCount);
        assertOnlyA(page.records, q);
      }),
      { numRuns: 150, examples: HOSTILE.map((q) => [q]) },
    );
  });

  test("the histogram counts no more than a's records", async () => {
    await fc.assert(
      fc.asyncProperty(queries, async (q) => {
        const { status, body } = await get(KEY_A, `/api/v1/logs/histogram?${RANGE}&q=${encodeURIComponent(q)}`);
        if (status !== 200) return;
        const total = Histogram.parse(body).buckets.reduce(
          (sum, b) => sum + Object.values(b.counts).reduce((x, y) => x + y, 0),
          0,
        );
        assert.ok(total <= aCount, `q=${JSON.stringify(q)} counted ${total}`);
      }),
      { numRuns: 100, examples: HOSTILE.map((q) => [q]) },
    );
  });

  test("facets list none of b's services or values", async () => {
    await fc.assert(
      fc.asyncProperty(queries, async (q) => {
        const url = `/api/v1/facets?${RANGE}&attribute=tenant&attribute=secret&attribute=id&attribute=${encodeURIComponent("' OR 1=1 --")}&q=${encodeURIComponent(q)}`;
        const { status, body } = await get(KEY_A, url);
        if (status !== 200) return;
        for (const facet of Facets.parse(body).facets) {
          const values = facet.values.map((v) => v.value);
          for (const bOnly of ['b-only-svc', 'b-only-value', 'b'])
            assert.ok(!values.includes(bOnly), `q=${JSON.stringify(q)} facet ${facet.field} shows ${bOnly}`);
          assert.ok(facet.values.reduce((sum, v) => sum + v.count, 0) <= aCount);
        }
      }),
      { numRuns: 100, examples: HOSTILE.map((q) => [q]) },
    );
  });

  test("the live tail delivers none of b's records while b keeps ingesting", async () => {
    let stop = false;
    let n = 100;
    const bKeepsIngesting = (async () => {
      while (!stop) await ingest(KEY_B, [bRecord(n++), bRecord(n++)]);
    })();
    try {
      const sample = fc.sample(queries, { numRuns: 10, seed: 7 });
      for (const q of [...HOSTILE, ...sample]) await checkTail(q);
    } finally {
      stop = true;
      await bKeepsIngesting;
    }
  });
});

/** Tails as a with `q` (or'ed with a marker a then sends) and fails on any record of b before the marker arrives. */
async function checkTail(q: string): Promise<void> {
  const marker = `marker${randomUUID().replaceAll('-', '')}`;
  const tailQuery = q.trim() === '' ? marker : `${marker} OR (${q})`;
  const issued = await p.app.inject({
    method: 'POST',
    url: '/api/v1/tail/ticket',
    headers: { authorization: `Bearer ${KEY_A}` },
  });
  assert.equal(issued.statusCode, 200, issued.body);
  const ws = new WebSocket(
    `ws://127.0.0.1:${port}/api/v1/tail?ticket=${issued.json().ticket}&q=${encodeURIComponent(tailQuery)}`,
  );
  const messages: { type: string; records?: LogRecord[] }[] = [];
  ws.addEventListener('message', (e) => messages.push(JSON.parse(String(e.data))));
  try {
    const first = await eventually(async () => messages[0], 10_000, `tail ready for ${q}`);
    // A query the parser refuses ends the tail with a coded error, which is fine: nothing leaked.
    if (first.type === 'error') return;
    assert.equal(first.type, 'ready');
    await ingest(KEY_A, [{ service: 'api', message: `${marker} from a` }]);
    await eventually(
      async () => (messages.some((m) => m.records?.some((r) => r.body.includes(marker))) ? true : undefined),
      10_000,
      `a's marker for ${q}`,
    );
    assertOnlyA(
      messages.flatMap((m) => m.records ?? []),
      tailQuery,
    );
  } finally {
    ws.close();
  }
}
