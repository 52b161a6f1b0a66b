import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { once } from 'node:events';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createInterface } from 'node:readline';
import { fileURLToPath } from 'node:url';
import { rawConnection, requestHead } from '@instant-logs/testbed';
import { eventually } from './test-pipeline.ts';

// The real main, as Kubernetes stops it: SIGTERM, then SIGKILL once the grace period is over.
const MAIN = fileURLToPath(new URL('./main.ts', import.meta.url));
const KEY = 'shutdown-test-key-0001';
const DRAIN_MS = 1_000;
// The documented bound is SHUTDOWN_DRAIN_MS plus 5 s; a clean shutdown needs far less of the 5 s.
const EXIT_BOUND_MS = DRAIN_MS + 3_000;

test('on SIGTERM the process closes every socket it holds and exits within its bound', async (t) => {
  const child = spawn(process.execPath, [MAIN], {
    env: {
      ...process.env,
      PORT: '0',
      DATA_DIR: mkdtempSync(join(tmpdir(), 'idl-shutdown-')),
      API_KEYS: `${KEY}:default`,
      SAMPLE_TRAFFIC_RATE: '0',
      SHUTDOWN_DRAIN_MS: String(DRAIN_MS),
      LOG_LEVEL: 'warn',
    },
    stdio: ['ignore', 'pipe', 'inherit'],
  });
  const exited = once(child, 'exit');
  try {
    let port = 0;
    for await (const line of createInterface({ input: child.stdout! })) {
      const match = /Dashboard\s+http:\/\/127\.0\.0\.1:(\d+)\//.exec(line);
      if (match) {
        port = Number(match[1]);
        break;
      }
    }
    assert.ok(port > 0, 'the process printed its URL');

    const idle = await rawConnection(port);
    idle.socket.write(requestHead('GET', '/healthz', {}));
    assert.equal((await idle.response).status, 200);

    const halfBody = await rawConnection(port);
    halfBody.socket.write(
      requestHead('POST', '/api/v1/logs', {
        authorization: `Bearer ${KEY}`,
        'content-type': 'application/json',
        'content-length': 100_000,
      }),
    );
    halfBody.socket.write('[{"service":"shutdown","message":"');

    const halfHeaders = await rawConnection(port);
    halfHeaders.socket.write('POST /api/v1/logs HTTP/1.1\r\nhost: 127.0.0.1\r\nauthoriz');

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
    // A refused upgrade's socket is closed by the server at once, not left for shutdown to find.
    await refusedUpgrade.closed;

    const tail = new WebSocket(`ws://127.0.0.1:${port}/api/v1/tail`, { headers: { authorization: `Bearer ${KEY}` } });
    let tailReady = false;
    tail.addEventListener('message', (e) => (tailReady ||= JSON.parse(String(e.data)).type === 'ready'));
    await eventually(async () => (tailReady ? true : undefined), 10_000, 'live tail ready');

    const sockets = [idle, halfBody, halfHeaders];
    assert.ok(
      sockets.every((s) => !s.socket.destroyed),
      'every socket is still open before the signal',
    );

    const signalled = performance.now();
    child.kill('SIGTERM');
    const [code] = await exited;
    const tookMs = performance.now() - signalled;
    t.diagnostic(`exited ${code} ${tookMs.toFixed(0)} ms after SIGTERM (drain deadline ${DRAIN_MS} ms)`);
    assert.equal(code, 0);
    assert.ok(tookMs < EXIT_BOUND_MS, `exited after ${tookMs.toFixed(0)} ms`);
    await Promise.all(sockets.map((s) => s.closed));
  } finally {
    if (child.exitCode === null) child.kill('SIGKILL');
  }
});
