import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import type { EmbeddedPipeline } from './app.ts';
import { rawConnection, requestHead } from '@instant-logs/testbed';
import { eventually, startTestPipeline } from './test-pipeline.ts';

// Short timeouts so each case ends in well under a second; the defaults are 10 s, 60 s and 65 s.
const TIMEOUTS = { headersMs: 300, requestMs: 600, keepAliveMs: 300 };
// Node checks the deadlines on an interval (a quarter of the headers timeout here), and a loaded machine is slow.
const SLACK_MS = 1_500;
let p: EmbeddedPipeline;
let port: number;

before(async () => {
  p = await startTestPipeline({ timeouts: TIMEOUTS });
  await p.app.listen({ host: '127.0.0.1', port: 0 });
  const address = p.app.server.address();
  port = typeof address === 'object' && address ? address.port : 0;
});
after(() => p.close());

test('a body that stalls halfway gets 408 and its connection closed at the request timeout', async () => {
  const started = performance.now();
  const c = await rawConnection(port);
  const body = JSON.stringify({ service: 'stalled', message: 'x'.repeat(2000) });
  c.socket.write(
    requestHead('POST', '/api/v1/logs', {
      'content-type': 'application/json',
      'content-length': Buffer.byteLength(body),
    }),
  );
  c.socket.write(body.slice(0, body.length / 2));
  const res = await c.response;
  await c.closed;
  const elapsed = performance.now() - started;
  assert.equal(res.status, 408);
  assert.equal(JSON.parse(res.body).error.code, 'HTTP_REQUEST_TIMEOUT');
  assert.ok(
    elapsed >= TIMEOUTS.requestMs - 50 && elapsed < TIMEOUTS.requestMs + SLACK_MS,
    `closed after ${elapsed.toFixed(0)} ms`,
  );
});

test('headers that stop halfway get 408 and the connection closed at the headers timeout', async () => {
  const started = performance.now();
  const c = await rawConnection(port);
  c.socket.write('POST /api/v1/logs HTTP/1.1\r\nhost: 127.0.0.1\r\ncontent-ty');
  const res = await c.response;
  await c.closed;
  const elapsed = performance.now() - started;
  assert.equal(res.status, 408);
  assert.ok(elapsed < TIMEOUTS.headersMs + SLACK_MS, `closed after ${elapsed.toFixed(0)} ms`);
});

test('an idle keep-alive connection is closed after the keep-alive timeout', async () => {
  const c = await rawConnection(port);
  c.socket.write(requestHead('GET', '/healthz', {}));
  assert.equal((await c.response).status, 200);
  const answered = performance.now();
  await c.closed;
  const idle = performance.now() - answered;
  // Node keeps an idle socket 1 s past keepAliveTimeout, so a client reusing it at the edge does not race the close.
  assert.ok(idle < TIMEOUTS.keepAliveMs + 1_000 + SLACK_MS, `closed after ${idle.toFixed(0)} ms idle`);
});

test('a live tail outlives the request timeout: only HTTP requests have deadlines, not upgraded sockets', async () => {
  const ws = new WebSocket(`ws://127.0.0.1:${port}/api/v1/tail?q=${encodeURIComponent('service:outlived')}`);
  const messages: { type: string; records?: { body: string }[] }[] = [];
  let closed = false;
  ws.addEventListener('message', (e) => messages.push(JSON.parse(String(e.data))));
  ws.addEventListener('close', () => (closed = true));
  try {
    await eventually(async () => (messages.some((m) => m.type === 'ready') ? true : undefined), 10_000, 'tail ready');
    const opened = performance.now();
    // A stalled request timing out proves the deadline has passed for the tail too.
    const stalled = await rawConnection(port);
    stalled.socket.write(
      requestHead('POST', '/api/v1/logs', { 'content-type': 'application/json', 'content-length': 100 }),
    );
    assert.equal((await stalled.response).status, 408);
    assert.ok(performance.now() - opened >= TIMEOUTS.requestMs - 50);
    const ingest = await fetch(`http://127.0.0.1:${port}/api/v1/logs`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ service: 'outlived', message: 'still tailing' }),
    });
    assert.equal(ingest.status, 202);
    const got = await eventually(
      async () => messages.find((m) => m.type === 'records'),
      10_000,
      'record on the old tail',
    );
    assert.deepEqual(
      got.records?.map((r) => r.body),
      ['still tailing'],
    );
    assert.equal(closed, false);
  } finally {
    ws.close();
  }
});
