import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { request as httpRequest } from 'node:http';
import { after, before, describe, test } from 'node:test';
import { startTestPipeline } from './test-pipeline.ts';
import type { EmbeddedPipeline } from './app.ts';

interface Answer {
  status: number;
  body: string;
}

async function listen(p: EmbeddedPipeline): Promise<number> {
  await p.app.listen({ host: '127.0.0.1', port: 0 });
  const address = p.app.server.address();
  return typeof address === 'object' && address ? address.port : 0;
}

/** A raw HTTP request, so Host and Origin are exactly what a browser under an attacker's page would send. */
function send(
  port: number,
  method: string,
  path: string,
  headers: Record<string, string>,
  body?: string,
): Promise<Answer> {
  return new Promise((resolve, reject) => {
    const req = httpRequest(
      { host: '127.0.0.1', port, method, path, headers, setHost: !('host' in headers) },
      (res) => {
        let text = '';
        res.setEncoding('utf8').on('data', (chunk: string) => (text += chunk));
        res.on('end', () => resolve({ status: res.statusCode ?? 0, body: text }));
      },
    );
    req.on('error', reject);
    req.end(body);
  });
}

/** A WebSocket upgrade's status: 101 when the server switched protocols, else the refusal's. */
function upgrade(port: number, path: string, headers: Record<string, string>): Promise<{ status: number }> {
  return new Promise((resolve, reject) => {
    const req = httpRequest({
      host: '127.0.0.1',
      port,
      path,
      headers: {
        connection: 'Upgrade',
        upgrade: 'websocket',
        'sec-websocket-version': '13',
        'sec-websocket-key': randomBytes(16).toString('base64'),
        ...headers,
      },
    });
    req.on('upgrade', (res, socket) => {
      socket.destroy();
      resolve({ status: res.statusCode ?? 0 });
    });
    // Only the status matters here; the connection-closing behaviour has its own test below.
    req.on('response', (res) => {
      res.socket.destroy();
      resolve({ status: res.statusCode ?? 0 });
    });
    req.on('error', reject);
    req.end();
  });
}

const code = (answer: Answer): string | undefined =>
  (JSON.parse(answer.body || '{}') as { error?: { code?: string } }).error?.code;
const RECORD = JSON.stringify({ service: 'web', message: 'planted by a web page' });

describe('with authentication off, a web page cannot reach the local server through the browser', () => {
  let p: EmbeddedPipeline;
  let port: number;
  before(async () => {
    p = await startTestPipeline({ logger: false });
    port = await listen(p);
  });
  after(() => p.close());

  test('a request whose Host is not a loopback name (DNS rebinding) is refused on every API', async () => {
    for (const [method, path] of [
      ['GET', '/api/v1/logs?from=now-1h'],
      ['POST', '/api/v1/logs'],
      ['GET', '/api/v1/admin/usage'],
      ['GET', '/'],
    ]) {
      const res = await send(
        port,
        method!,
        path!,
        { host: `rebind.attacker.example:${port}`, 'content-type': 'application/json' },
        method === 'POST' ? RECORD : undefined,
      );
      assert.equal(res.status, 403, `${method} ${path}: ${res.body}`);
      assert.match(code(res) ?? '', /_HOST_NOT_ALLOWED$/);
    }
    assert.equal((await send(port, 'GET', '/api/v1/logs?from=now-1h', { host: `localhost:${port}` })).status, 200);
  });

  test('a cross-site POST is refused, with a simple text/plain body as with JSON; the same origin may post', async () => {
    const host = `127.0.0.1:${port}`;
    for (const type of ['text/plain', 'application/json']) {
      const res = await send(
        port,
        'POST',
        '/api/v1/logs',
        { host, origin: 'https://attacker.example', 'content-type': type },
        RECORD,
      );
      assert.equal(res.status, 403, `${type}: ${res.body}`);
      assert.match(code(res) ?? '', /_ORIGIN_NOT_ALLOWED$/);
    }
    const deleted = await send(
      port,
      'POST',
      '/api/v1/admin/delete',
      { host, origin: 'https://attacker.example', 'content-type': 'application/json' },
      '{"from":"0"}',
    );
    assert.equal(deleted.status, 403);
    // Without an Origin (curl, shippers) text/plain is still no ingest type: no simple-request bypass at all.
    assert.equal(
      (await send(port, 'POST', '/api/v1/logs', { host, 'content-type': 'text/plain' }, RECORD)).status,
      415,
    );
    const same = await send(
      port,
      'POST',
      '/api/v1/logs',
      { host, origin: `http://${host}`, 'content-type': 'application/json' },
      RECORD,
    );
    assert.equal(same.status, 202, same.body);
    const stored = await send(port, 'GET', '/api/v1/logs?from=now-1h&q=planted', { host });
    assert.equal(
      (JSON.parse(stored.body) as { records: unknown[] }).records.length,
      1,
      'only the same-origin record is stored',
    );
  });

  test("a live tail opened from another origin is refused; the dashboard's own origin is served", async () => {
    const host = `127.0.0.1:${port}`;
    const foreign = await upgrade(port, '/api/v1/tail', { host, origin: 'https://attacker.example' });
    assert.equal(foreign.status, 403);
    assert.equal((await upgrade(port, '/api/v1/tail', { host, origin: `http://${host}` })).status, 101);
  });
});

test('the server closes the connection of a refused or unrouted WebSocket upgrade instead of leaving it open', async () => {
  const p = await startTestPipeline({ apiKeys: 'acme-query-key-000001:acme', logger: false });
  try {
    const port = await listen(p);
    for (const path of ['/api/v1/tail', '/api/v1/no-such-socket']) {
      const closed = await new Promise<number>((resolve, reject) => {
        const req = httpRequest({
          host: '127.0.0.1',
          port,
          path,
          headers: {
            connection: 'Upgrade',
            upgrade: 'websocket',
            'sec-websocket-version': '13',
            'sec-websocket-key': randomBytes(16).toString('base64'),
          },
        });
        const deadline = setTimeout(
          () => reject(new Error(`${path}: the server kept the refused socket open for 10 s`)),
          10_000,
        );
        req.on('response', (res) => {
          res.resume();
          res.socket.on('close', () => {
            clearTimeout(deadline);
            resolve(res.statusCode ?? 0);
          });
        });
        req.on('error', reject);
        req.end();
      });
      assert.ok(closed === 401 || closed === 404, `${path} answered ${closed}`);
    }
  } finally {
    await p.close();
  }
});

describe('with API keys, no key travels in a URL', () => {
  const KEY = 'acme-query-key-000001';
  let p: EmbeddedPipeline;
  let port: number;
  let host: string;
  before(async () => {
    p = await startTestPipeline({ apiKeys: `${KEY}:acme:ingest+query+admin`, logger: false });
    port = await listen(p);
    host = `127.0.0.1:${port}`;
  });
  after(() => p.close());

  const ticket = async (): Promise<string> => {
    const res = await send(port, 'POST', '/api/v1/tail/ticket', { host, authorization: `Bearer ${KEY}` });
    assert.equal(res.status, 200, res.body);
    return (JSON.parse(res.body) as { ticket: string }).ticket;
  };

  test('api_key in the URL is refused on search, ingest, admin and the tail, naming the Authorization header', async () => {
    for (const [method, path] of [
      ['GET', '/api/v1/logs?from=now-1h'],
      ['POST', '/api/v1/logs'],
      ['GET', '/api/v1/admin/usage'],
    ]) {
      const res = await send(
        port,
        method!,
        `${path}${path!.includes('?') ? '&' : '?'}api_key=${KEY}`,
        { host, 'content-type': 'application/json' },
        method === 'POST' ? RECORD : undefined,
      );
      assert.equal(res.status, 401, `${method} ${path}: ${res.body}`);
      assert.match(JSON.parse(res.body).error.message, /Authorization: Bearer/);
    }
    assert.equal((await upgrade(port, `/api/v1/tail?api_key=${KEY}`, { host })).status, 401);
  });

  test('a tail ticket opens the tail once; a second use, a forged ticket or none is refused', async () => {
    const t = await ticket();
    assert.equal((await upgrade(port, `/api/v1/tail?ticket=${t}`, { host })).status, 101);
    assert.equal((await upgrade(port, `/api/v1/tail?ticket=${t}`, { host })).status, 401);
    assert.equal((await upgrade(port, `/api/v1/tail?ticket=${t.slice(0, -2)}xx`, { host })).status, 401);
    assert.equal((await upgrade(port, '/api/v1/tail', { host })).status, 401);
    // A ticket is for the tail only: elsewhere it is no credential.
    assert.equal((await send(port, 'GET', `/api/v1/logs?from=now-1h&ticket=${await ticket()}`, { host })).status, 401);
  });

  test('with keys, a WebSocket from a foreign origin is refused even with a valid ticket', async () => {
    const res = await upgrade(port, `/api/v1/tail?ticket=${await ticket()}`, {
      host,
      origin: 'https://attacker.example',
    });
    assert.equal(res.status, 403);
  });
});
