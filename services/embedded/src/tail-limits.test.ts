import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import type { LogStore } from '@instant-logs/store';
import type { EmbeddedPipeline } from './app.ts';
import { eventually, startTestPipeline } from './test-pipeline.ts';

const KEYS = { a: 'tail-key-tenant-a-01', b: 'tail-key-tenant-b-01', c: 'tail-key-tenant-c-01' };
const LIMITS = { maxPerTenant: 2, maxTotal: 3, maxClauses: 5, pollConcurrency: 1 };
let p: EmbeddedPipeline;
let port: number;
// The real store, counted: how many tail polls run on it at once.
let running = 0;
let mostAtOnce = 0;

function countingTails(store: LogStore): LogStore {
  const counted = async <T>(call: () => Promise<T>): Promise<T> => {
    mostAtOnce = Math.max(mostAtOnce, ++running);
    try {
      return await call();
    } finally {
      running--;
    }
  };
  // A tenant's shared read (tailAny) and a catching-up tail's own (tail) take the same slots.
  return Object.assign(Object.create(store) as LogStore, {
    tail: (...args: Parameters<LogStore['tail']>) => counted(() => store.tail(...args)),
    tailAny: (...args: Parameters<LogStore['tailAny']>) => counted(() => store.tailAny(...args)),
  });
}

before(async () => {
  p = await startTestPipeline({
    apiKeys: `${KEYS.a}:a,${KEYS.b}:b,${KEYS.c}:c`,
    tailLimits: LIMITS,
    tailPollMs: 20,
    wrapStore: countingTails,
  });
  await p.app.listen({ host: '127.0.0.1', port: 0 });
  const address = p.app.server.address();
  port = typeof address === 'object' && address ? address.port : 0;
});
after(() => p.close());

interface Tail {
  ws: WebSocket;
  messages: {
    type: string;
    error?: { code: string; message: string; field?: string; position?: number };
    records?: { body: string }[];
  }[];
  closeCode?: number;
}

/** Opens a tail and resolves once it is ready, or refused and closed. */
async function openTail(tenant: keyof typeof KEYS, q = ''): Promise<Tail> {
  const ws = new WebSocket(`ws://127.0.0.1:${port}/api/v1/tail?q=${encodeURIComponent(q)}`, {
    headers: { authorization: `Bearer ${KEYS[tenant]}` },
  });
  const tail: Tail = { ws, messages: [] };
  ws.addEventListener('message', (e) => tail.messages.push(JSON.parse(String(e.data))));
  ws.addEventListener('close', (e) => (tail.closeCode = e.code));
  await eventually(
    async () => (tail.closeCode !== undefined || tail.messages.some((m) => m.type === 'ready') ? true : undefined),
    10_000,
    'tail ready or closed',
  );
  return tail;
}

async function closeAll(tails: Tail[]): Promise<void> {
  for (const t of tails) t.ws.close();
  await eventually(
    async () => (tails.every((t) => t.closeCode !== undefined) ? true : undefined),
    5_000,
    'tails closed',
  );
}

test('a tenant past its open-tail limit is refused with a JSON error, then close code 1013', async () => {
  const open = [await openTail('a'), await openTail('a')];
  try {
    const refused = await openTail('a');
    await eventually(async () => (refused.closeCode !== undefined ? true : undefined), 5_000, 'refused tail closed');
    assert.equal(refused.closeCode, 1013);
    assert.equal(refused.messages[0]?.type, 'error');
    assert.equal(refused.messages[0]?.error?.code, 'QUERY_TOO_MANY_TAILS');
    assert.match(refused.messages[0]?.error?.message ?? '', /TAIL_MAX_PER_TENANT/);
    assert.ok(
      open.every((t) => t.closeCode === undefined),
      'the open tails are untouched',
    );
    const metrics = await (await fetch(`http://127.0.0.1:${port}/metrics`)).text();
    assert.match(metrics, /^instant_logs_query_tails_refused_total\{reason="tenant_limit"\} [1-9]/m);
  } finally {
    await closeAll(open);
  }
  // A closed tail gives its seat back.
  const again = await openTail('a');
  assert.ok(again.messages.some((m) => m.type === 'ready'));
  await closeAll([again]);
});

test('past the process-wide limit every tenant is refused, whatever its own count', async () => {
  const open = [await openTail('a'), await openTail('a'), await openTail('b')];
  try {
    const refused = await openTail('c');
    await eventually(async () => (refused.closeCode !== undefined ? true : undefined), 5_000, 'refused tail closed');
    assert.equal(refused.closeCode, 1013);
    assert.match(refused.messages[0]?.error?.message ?? '', /TAIL_MAX_TOTAL/);
  } finally {
    await closeAll(open);
  }
});

test('a filter with more clauses than a tail may run is refused with close code 1008', async () => {
  const refused = await openTail('b', 'a OR b OR c OR d OR e OR f');
  await eventually(async () => (refused.closeCode !== undefined ? true : undefined), 5_000, 'refused tail closed');
  assert.equal(refused.closeCode, 1008);
  assert.equal(refused.messages[0]?.error?.code, 'QUERY_TAIL_FILTER_TOO_COMPLEX');
  assert.match(refused.messages[0]?.error?.message ?? '', /at most 5 clauses.*has 6/);
  const allowed = await openTail('b', 'a OR b OR c OR d OR e');
  assert.ok(allowed.messages.some((m) => m.type === 'ready'));
  await closeAll([allowed]);
});

test('a tail with a bad query is told why, then closed with 4400 (a client error), not 1011', async () => {
  const refused = await openTail('c', 'service:(oops');
  await eventually(async () => (refused.closeCode !== undefined ? true : undefined), 5_000, 'refused tail closed');
  assert.equal(refused.closeCode, 4400);
  const error = refused.messages[0]?.error;
  assert.deepEqual([error?.code, error?.field, error?.position], ['QUERY_SYNTAX', 'q', 8]);
  assert.match(error?.message ?? '', /^missing value after "service:"/);
});

test('tails share the poll slots: never more polls on the store at once than allowed, and every tail still gets its records', async () => {
  mostAtOnce = 0;
  const tails = [
    await openTail('a', 'service:shared'),
    await openTail('a', 'service:shared'),
    await openTail('b', 'service:shared'),
  ];
  try {
    for (const tenant of ['a', 'b'] as const) {
      const res = await fetch(`http://127.0.0.1:${port}/api/v1/logs`, {
        method: 'POST',
        headers: { authorization: `Bearer ${KEYS[tenant]}`, 'content-type': 'application/json' },
        body: JSON.stringify({ service: 'shared', message: `for ${tenant}` }),
      });
      assert.equal(res.status, 202);
    }
    const bodies = (t: Tail) => t.messages.flatMap((m) => m.records ?? []).map((r) => r.body);
    await eventually(
      async () => (tails.every((t) => bodies(t).length > 0) ? true : undefined),
      10_000,
      'records on every tail',
    );
    assert.deepEqual(tails.map(bodies), [['for a'], ['for a'], ['for b']]);
    assert.equal(mostAtOnce, LIMITS.pollConcurrency);
  } finally {
    await closeAll(tails);
  }
});
