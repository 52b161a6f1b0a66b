import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { spawn, type ChildProcess } from 'node:child_process';
import { once } from 'node:events';
import { createInterface } from 'node:readline';
import { fileURLToPath } from 'node:url';
import {
  rawConnection,
  requestHead,
  startClickHouseServer,
  waitUntil,
  type ClickHouseServer,
} from '@instant-logs/testbed';
import { createHttpTransport, createLogStore } from '@instant-logs/store';
import { LogPage } from '@instant-logs/schema';

// The query service as it runs in a pod: its own process, configured by environment, reading a
// ClickHouse server over HTTP.
const MAIN = fileURLToPath(new URL('./main.ts', import.meta.url));
let server: ClickHouseServer;
let child: ChildProcess | undefined;

before(async () => {
  server = await startClickHouseServer();
  const transport = createHttpTransport({ url: server.url });
  const store = createLogStore(transport, 'query_main');
  await store.migrate();
  const now = new Date().toISOString();
  await store.insert(
    JSON.stringify({
      id: 'a1',
      tenant: 'team-a',
      timestamp: now,
      observed_timestamp: now,
      service: 'billing',
      level: 'warn',
      severity_text: 'WARN',
      severity_number: 13,
      body: 'invoice retry scheduled',
      attributes: {},
      resource: {},
      trace_id: '',
      span_id: '',
    }),
  );
  await transport.close();
});
after(async () => {
  child?.kill('SIGTERM');
  if (child && child.exitCode === null) await once(child, 'exit');
  await server.stop();
});

test('the service starts from its environment and answers searches from ClickHouse over HTTP', async () => {
  child = spawn(process.execPath, [MAIN], {
    env: {
      ...process.env,
      HOST: '127.0.0.1',
      PORT: '0',
      CLICKHOUSE_URL: server.url,
      CLICKHOUSE_DATABASE: 'query_main',
      API_KEYS: 'query-main-key-0001:team-a',
    },
    stdio: ['ignore', 'pipe', 'inherit'],
  });
  let url: string | undefined;
  for await (const line of createInterface({ input: child.stdout! })) {
    const match = /Server listening at (http:\/\/127\.0\.0\.1:\d+)/.exec(line);
    if (match) {
      url = match[1];
      break;
    }
  }
  assert.ok(url, 'the service logged its address');
  const res = await fetch(`${url}/api/v1/logs?from=now-1h&q=invoice`, {
    headers: { authorization: 'Bearer query-main-key-0001' },
  });
  assert.equal(res.status, 200);
  assert.deepEqual(
    LogPage.parse(await res.json()).records.map((r) => r.id),
    ['a1'],
  );
  assert.equal((await fetch(`${url}/readyz`)).status, 200);
  child.kill('SIGTERM');
  const [code] = await once(child, 'exit');
  assert.equal(code, 0, 'graceful shutdown exits cleanly');
});

test('on SIGTERM the service closes idle, half-sent and refused-upgrade sockets and open tails, and exits within its bound', async (t) => {
  const drainMs = 1_000;
  const service = spawn(process.execPath, [MAIN], {
    env: {
      ...process.env,
      HOST: '127.0.0.1',
      PORT: '0',
      CLICKHOUSE_URL: server.url,
      CLICKHOUSE_DATABASE: 'query_main',
      API_KEYS: 'query-main-key-0001:team-a',
      SHUTDOWN_DRAIN_MS: String(drainMs),
    },
    stdio: ['ignore', 'pipe', 'inherit'],
  });
  const exited = once(service, 'exit');
  try {
    let port = 0;
    for await (const line of createInterface({ input: service.stdout! })) {
      const match = /Server listening at http:\/\/127\.0\.0\.1:(\d+)/.exec(line);
      if (match) {
        port = Number(match[1]);
        break;
      }
    }
    assert.ok(port > 0, 'the service logged its address');
    const idle = await rawConnection(port);
    idle.socket.write(requestHead('GET', '/healthz', {}));
    assert.equal((await idle.response).status, 200);
    const halfHeaders = await rawConnection(port);
    halfHeaders.socket.write('GET /api/v1/logs HTTP/1.1\r\nhost: 127.0.0.1\r\nauthoriz');
    const refusedUpgrade = await rawConnection(port);
    refusedUpgrade.socket.write(
      requestHead('GET', '/api/v1/tail', {
        connection: 'Upgrade',
        upgrade: 'websocket',
        'sec-websocket-version': 13,
        'sec-websocket-key': 'dGhlIHNhbXBsZSBub25jZQ==',
      }),
    );
    assert.equal((await refusedUpgrade.response).status, 401);
    const tail = new WebSocket(`ws://127.0.0.1:${port}/api/v1/tail`, {
      headers: { authorization: 'Bearer query-main-key-0001' },
    });
    let ready = false;
    tail.addEventListener('message', (e) => (ready ||= JSON.parse(String(e.data)).type === 'ready'));
    await waitUntil('live tail ready', () => ready, 10_000);

    const signalled = performance.now();
    service.kill('SIGTERM');
    const [code] = await exited;
    const tookMs = performance.now() - signalled;
    t.diagnostic(`exited ${code} ${tookMs.toFixed(0)} ms after SIGTERM (drain deadline ${drainMs} ms)`);
    assert.equal(code, 0);
    assert.ok(tookMs < drainMs + 3_000, `exited after ${tookMs.toFixed(0)} ms`);
    await Promise.all([idle.closed, halfHeaders.closed, refusedUpgrade.closed]);
  } finally {
    if (service.exitCode === null) service.kill('SIGKILL');
  }
});

test('a bad environment fails at start and names the variable', async () => {
  const bad = spawn(process.execPath, [MAIN], {
    env: { ...process.env, CLICKHOUSE_URL: 'not a url', PORT: 'eighty' },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let stderr = '';
  bad.stderr!.on('data', (d) => (stderr += d));
  const [code] = await once(bad, 'exit');
  assert.notEqual(code, 0);
  assert.match(stderr, /CLICKHOUSE_URL/);
  assert.match(stderr, /PORT/);
});
