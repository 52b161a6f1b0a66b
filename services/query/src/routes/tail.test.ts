import assert from 'node:assert/strict';
import { mkdtempSync } from 'node:fs';
import { connect, type Socket } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, test } from 'node:test';
import type { FastifyInstance } from 'fastify';
import type { LogRecord } from '@instant-logs/schema';
import { parseApiKeys } from '@instant-logs/service-kit';
import { createChdbTransport, createLogStore, type ClickHouseTransport } from '@instant-logs/store';
import { waitUntil } from '@instant-logs/testbed';
import { buildApp } from '../app.ts';

const KEYS = { a: 'tail-hub-key-tenant-a', b: 'tail-hub-key-tenant-b' };
const POLL_MS = 25;
const MAX_BUFFERED = 200;
let transport: ClickHouseTransport;
let app: FastifyInstance;
let port: number;
// Every query the store sends to chdb, counted below the store: the store itself is the real one.
let queries = 0;

before(async () => {
  transport = createChdbTransport({ path: mkdtempSync(join(tmpdir(), 'idl-query-tail-')) });
  const counted: ClickHouseTransport = {
    command: (sql, params) => transport.command(sql, params),
    query: (sql, params) => {
      queries++;
      return transport.query(sql, params);
    },
    insertJsonEachRow: (table, rows, options) => transport.insertJsonEachRow(table, rows, options),
    ping: () => transport.ping(),
    close: () => transport.close(),
  };
  const store = createLogStore(counted, 'query_tail');
  await store.migrate();
  app = buildApp({
    store,
    keyring: parseApiKeys(`${KEYS.a}:a,${KEYS.b}:b`),
    tailPollMs: POLL_MS,
    tailLimits: { maxPerTenant: 100, maxTotal: 200 },
    tailBuffer: { maxBuffered: MAX_BUFFERED, highWaterBytes: 64 * 1024 },
  });
  await app.listen({ host: '127.0.0.1', port: 0 });
  const address = app.server.address();
  port = typeof address === 'object' && address ? address.port : 0;
});
after(async () => {
  await app.close();
  await transport.close();
});

let seq = 0;
const base = Date.now() - 60_000;
function record(tenant: string, service: string, level: LogRecord['level'], body: string, ageMs: number): LogRecord {
  // Timestamps out of insert order, so a message's order is the tail's doing, not the insert's.
  const at = new Date(base - ageMs).toISOString();
  return {
    id: `rec-${String(++seq).padStart(6, '0')}`,
    tenant,
    timestamp: at,
    observed_timestamp: at,
    service,
    level,
    severity_text: level.toUpperCase(),
    severity_number: level === 'error' ? 17 : 9,
    body,
    attributes: {},
    resource: {},
    trace_id: '',
    span_id: '',
  };
}
async function store(records: LogRecord[]): Promise<void> {
  await transport.insertJsonEachRow('query_tail.logs', records.map((r) => JSON.stringify(r)).join('\n'));
}

interface Tail {
  ws: WebSocket;
  messages: { type: string; position?: string; records?: LogRecord[]; error?: { code: string } }[];
  closeCode?: number;
}

async function openTail(tenant: keyof typeof KEYS, q: string, since?: string): Promise<Tail> {
  const params = new URLSearchParams({ q, ...(since ? { since } : {}) });
  const ws = new WebSocket(`ws://127.0.0.1:${port}/api/v1/tail?${params}`, {
    headers: { authorization: `Bearer ${KEYS[tenant]}` },
  });
  const tail: Tail = { ws, messages: [] };
  ws.addEventListener('message', (e) => tail.messages.push(JSON.parse(String(e.data))));
  ws.addEventListener('close', (e) => (tail.closeCode = e.code));
  await waitUntil(
    'tail ready',
    () => tail.closeCode !== undefined || tail.messages.some((m) => m.type === 'ready'),
    10_000,
    5,
  );
  assert.equal(tail.closeCode, undefined, `tail ${q} refused: ${JSON.stringify(tail.messages)}`);
  return tail;
}
const ids = (t: Tail) => t.messages.flatMap((m) => m.records ?? []).map((r) => r.id);
const lastPosition = (t: Tail) => t.messages.findLast((m) => m.position)?.position;
async function closeAll(tails: Tail[]): Promise<void> {
  for (const t of tails) t.ws.close();
  await waitUntil('tails closed', () => tails.every((t) => t.closeCode !== undefined), 5_000, 5);
}
async function metric(name: string): Promise<number> {
  const text = (await app.inject({ url: '/metrics' })).body;
  return Number(new RegExp(`^${name} (\\S+)$`, 'm').exec(text)?.[1] ?? NaN);
}
// In the tail's order: by insert, and by timestamp within one insert (which one poll reads whole).
const byTime = (records: LogRecord[]) =>
  [...records].sort((x, y) => (x.timestamp < y.timestamp ? -1 : x.timestamp > y.timestamp ? 1 : x.id < y.id ? -1 : 1));

function batch(n: number): LogRecord[] {
  const services = ['payments', 'checkout', 'gateway'];
  const levels = ['info', 'error', 'warn'] as const;
  const words = ['card declined', 'upstream timeout', 'order placed', 'cache warm'];
  return Array.from({ length: n }, (_, i) =>
    record(i % 4 === 3 ? 'b' : 'a', services[i % 3]!, levels[(i >> 1) % 3]!, words[i % 4]!, (i * 7919) % 5000),
  );
}

const FILTERS: { tenant: keyof typeof KEYS; q: string; matches: (r: LogRecord) => boolean }[] = [
  { tenant: 'a', q: '', matches: (r) => r.tenant === 'a' },
  { tenant: 'a', q: 'service:payments', matches: (r) => r.tenant === 'a' && r.service === 'payments' },
  // The same filter written another way shares the poller above.
  { tenant: 'a', q: '  service:payments ', matches: (r) => r.tenant === 'a' && r.service === 'payments' },
  { tenant: 'a', q: 'level:error', matches: (r) => r.tenant === 'a' && r.level === 'error' },
  { tenant: 'a', q: 'declined OR timeout', matches: (r) => r.tenant === 'a' && /declined|timeout/.test(r.body) },
  { tenant: 'b', q: 'service:payments', matches: (r) => r.tenant === 'b' && r.service === 'payments' },
];

test('many tails with the same and different filters each get exactly their records, once, in order', async () => {
  const tails = await Promise.all(FILTERS.flatMap((f) => Array.from({ length: 8 }, () => openTail(f.tenant, f.q))));
  try {
    // Two tenants: two pollers for 48 tails over five distinct filters.
    assert.equal(await metric('instant_logs_query_tail_pollers'), 2);
    const batches = [batch(60), batch(60), batch(60)];
    const expected = (f: (typeof FILTERS)[number], upTo: number) =>
      batches.slice(0, upTo).flatMap((b) => byTime(b.filter(f.matches)).map((r) => r.id));
    for (let i = 0; i < batches.length; i++) {
      await store(batches[i]!);
      await waitUntil(
        `batch ${i} on every tail`,
        () => tails.every((t, n) => ids(t).length >= expected(FILTERS[Math.floor(n / 8)]!, i + 1).length),
        10_000,
        5,
      );
    }
    tails.forEach((t, n) => {
      const f = FILTERS[Math.floor(n / 8)]!;
      assert.deepEqual(ids(t), expected(f, batches.length), `tail ${n} (${f.tenant}: ${f.q})`);
    });
  } finally {
    await closeAll(tails);
  }
  await waitUntil('pollers stopped', async () => (await metric('instant_logs_query_tail_pollers')) === 0, 5_000, 5);
});

/** Store queries a second, over the time the store takes to receive `n` more. */
async function queryRate(n: number): Promise<number> {
  const [from, started] = [queries, performance.now()];
  await waitUntil(`${n} store queries`, () => queries - from >= n, 10_000, 5);
  return ((queries - from) * 1000) / (performance.now() - started);
}

test('store queries per second stay flat as tails with the same and other filters are added', async (t) => {
  const same = [await openTail('a', 'service:flat')];
  const others: Tail[] = [];
  try {
    const alone = await queryRate(40);
    same.push(...(await Promise.all(Array.from({ length: 30 }, () => openTail('a', 'service:flat')))));
    others.push(...(await Promise.all(Array.from({ length: 30 }, (_, i) => openTail('a', `service:flat-${i % 15}`)))));
    // Once a record has reached them, every new tail has joined the tenant's one read.
    await store([record('a', 'flat', 'info', 'for the crowd', 0)]);
    await waitUntil(
      'the record on every tail of its filter',
      () => same.every((tail) => ids(tail).length === 1),
      10_000,
      5,
    );
    const crowd = await queryRate(40);
    t.diagnostic(
      `${alone.toFixed(0)} store queries/s for 1 tail, ${crowd.toFixed(0)} for 61 over 16 filters (a poll every ${POLL_MS} ms)`,
    );
    assert.equal(await metric('instant_logs_query_tail_pollers'), 1);
    // One read a tick for the tenant whatever its tails and filters; a poll per tail would be 61 times that.
    assert.ok(crowd <= (1000 / POLL_MS) * 1.2, `${crowd.toFixed(0)} queries/s with 61 tails`);
    assert.ok(crowd < alone * 2, `${crowd.toFixed(0)} queries/s with 61 tails against ${alone.toFixed(0)} with one`);
  } finally {
    await closeAll([...same, ...others]);
  }
});

test('a tail resumed from an older position, beside a live one, gets what it missed and then the new records, each once', async () => {
  const live = await openTail('a', 'service:resume');
  const first = await openTail('a', 'service:resume');
  const tails = [live];
  try {
    const one = [record('a', 'resume', 'info', 'one', 3), record('a', 'resume', 'info', 'one more', 1)];
    await store(one);
    await waitUntil('first records', () => ids(first).length === 2 && ids(live).length === 2, 10_000, 5);
    const since = lastPosition(first)!;
    await closeAll([first]);
    const missed = [record('a', 'resume', 'warn', 'missed', 2), record('a', 'other', 'warn', 'not this filter', 0)];
    await store(missed);
    await waitUntil('the missed record on the live tail', () => ids(live).length === 3, 10_000, 5);
    const resumed = await openTail('a', 'service:resume', since);
    tails.push(resumed);
    assert.equal(resumed.messages[0]?.position, since);
    await waitUntil('the missed record on the resumed tail', () => ids(resumed).length >= 1, 10_000, 5);
    const later = [record('a', 'resume', 'error', 'later', 0)];
    await store(later);
    await waitUntil('the later record on both', () => ids(resumed).length >= 2 && ids(live).length >= 4, 10_000, 5);
    assert.deepEqual(ids(resumed), [missed[0]!.id, later[0]!.id]);
    assert.deepEqual(ids(live), [one[0]!.id, one[1]!.id, missed[0]!.id, later[0]!.id]);
    assert.equal(await metric('instant_logs_query_tail_pollers'), 1);
  } finally {
    await closeAll(tails);
  }
});

test('a made-up since is refused before the tail is ready, with 4400 and QUERY_INVALID_CURSOR', async () => {
  const ws = new WebSocket(`ws://127.0.0.1:${port}/api/v1/tail?since=not-a-position`, {
    headers: { authorization: `Bearer ${KEYS.a}` },
  });
  const tail: Tail = { ws, messages: [] };
  ws.addEventListener('message', (e) => tail.messages.push(JSON.parse(String(e.data))));
  ws.addEventListener('close', (e) => (tail.closeCode = e.code));
  await waitUntil('refused tail closed', () => tail.closeCode !== undefined, 10_000, 5);
  assert.equal(tail.closeCode, 4400);
  assert.deepEqual(
    tail.messages.map((m) => [m.type, m.error?.code]),
    [['error', 'QUERY_INVALID_CURSOR']],
  );
});

test("a filter the store cannot run is refused with 4400 on its own tail, and the tenant's other tails keep going", async () => {
  const live = await openTail('b', 'service:unharmed');
  try {
    const ws = new WebSocket(`ws://127.0.0.1:${port}/api/v1/tail?q=${encodeURIComponent('level:loud')}`, {
      headers: { authorization: `Bearer ${KEYS.b}` },
    });
    const refused: Tail = { ws, messages: [] };
    ws.addEventListener('message', (e) => refused.messages.push(JSON.parse(String(e.data))));
    ws.addEventListener('close', (e) => (refused.closeCode = e.code));
    await waitUntil('refused tail closed', () => refused.closeCode !== undefined, 10_000, 5);
    assert.equal(refused.closeCode, 4400);
    assert.deepEqual(
      refused.messages.map((m) => [m.type, m.error?.code]),
      [['error', 'QUERY_INVALID_CLAUSE']],
    );
    const after = record('b', 'unharmed', 'info', 'still here', 0);
    await store([after]);
    await waitUntil('the record on the other tail', () => ids(live).length === 1, 10_000, 5);
    assert.deepEqual([ids(live), live.closeCode], [[after.id], undefined]);
  } finally {
    await closeAll([live]);
  }
});

/** A WebSocket client that stops reading after the handshake, as a stalled browser tab does. */
async function stalledTail(q: string): Promise<{ socket: Socket; read(): Promise<Buffer> }> {
  const socket = connect(port, '127.0.0.1');
  const chunks: Buffer[] = [];
  socket.on('data', (c: Buffer) => chunks.push(c));
  socket.write(
    `GET /api/v1/tail?q=${encodeURIComponent(q)} HTTP/1.1\r\nHost: 127.0.0.1\r\nAuthorization: Bearer ${KEYS.a}\r\n` +
      'Connection: Upgrade\r\nUpgrade: websocket\r\nSec-WebSocket-Version: 13\r\nSec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\n\r\n',
  );
  await waitUntil('ready frame', () => Buffer.concat(chunks).includes('"ready"'), 10_000, 5);
  socket.pause();
  return {
    socket,
    async read() {
      socket.resume();
      await waitUntil('close frame', () => frames(Buffer.concat(chunks)).closeCode !== undefined, 20_000, 5);
      return Buffer.concat(chunks);
    },
  };
}

/** Pure: the text messages and the close code in a server's (unmasked) frames after the HTTP response. */
function frames(raw: Buffer): { texts: string[]; closeCode?: number } {
  let at = raw.indexOf('\r\n\r\n') + 4;
  const texts: string[] = [];
  while (at + 2 <= raw.length) {
    const opcode = raw[at]! & 0x0f;
    let length = raw[at + 1]! & 0x7f;
    at += 2;
    if (length === 126) [length, at] = [raw.readUInt16BE(at), at + 2];
    else if (length === 127) [length, at] = [Number(raw.readBigUInt64BE(at)), at + 8];
    const payload = raw.subarray(at, at + length);
    at += length;
    if (opcode === 1) texts.push(payload.toString('utf8'));
    if (opcode === 8) return { texts, closeCode: payload.readUInt16BE(0) };
  }
  return { texts };
}

test('a reader too slow for its buffer is dropped with 4008 and a position to resume from; other tails keep up', async (t) => {
  const fast = await openTail('a', 'service:flood');
  const slow = await stalledTail('service:flood');
  const body = 'x'.repeat(4096);
  let sent = 0;
  try {
    // Enough to fill the kernel's socket buffers, then the socket's, then the tail's own.
    while ((await metric('instant_logs_query_tails_dropped_total')) === 0) {
      assert.ok(sent < 40_000, 'the stalled tail was never dropped');
      await store(Array.from({ length: 500 }, () => record('a', 'flood', 'info', body, 0)));
      sent += 500;
      await waitUntil('the fast tail keeps up', () => ids(fast).length === sent, 20_000, 5);
    }
    t.diagnostic(`dropped after ${sent} records of 4 KiB`);
    const { texts, closeCode } = frames(await slow.read());
    assert.equal(closeCode, 4008);
    const last = JSON.parse(texts.at(-1)!);
    assert.equal(last.error.code, 'QUERY_TAIL_TOO_SLOW');
    const delivered = texts
      .slice(0, -1)
      .map((t) => JSON.parse(t))
      .findLast((m) => m.position)?.position;
    assert.equal(last.position, delivered, 'the position to resume from is the last one the reader was sent');
    assert.equal(fast.closeCode, undefined);
  } finally {
    slow.socket.destroy();
    await closeAll([fast]);
  }
});
