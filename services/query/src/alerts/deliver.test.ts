import assert from 'node:assert/strict';
import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { test } from 'node:test';
import { deliver } from './deliver.ts';

// A real HTTP server answering each request with the next of `answers` (a status, or 'hang' for none).
async function serve(answers: Array<number | 'hang'>) {
  const bodies: string[] = [];
  const hanging: ServerResponse[] = [];
  const server = createServer((req: IncomingMessage, res: ServerResponse) => {
    let body = '';
    req.on('data', (c: Buffer) => (body += c));
    req.on('end', () => {
      bodies.push(body);
      const answer = answers[bodies.length - 1] ?? 200;
      if (answer === 'hang') hanging.push(res);
      else res.writeHead(answer).end();
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return {
    url: `http://127.0.0.1:${(server.address() as AddressInfo).port}/hook`,
    bodies,
    async close() {
      server.closeAllConnections();
      await new Promise((resolve) => server.close(resolve));
    },
  };
}
const options = { timeoutMs: 300, attempts: 3, backoffMs: 10 };

test('5xx and 429 are retried with backoff until the receiver takes the body', async () => {
  const s = await serve([503, 429, 200]);
  try {
    const result = await deliver({ url: s.url, body: '{"n":1}' }, options);
    assert.deepEqual(result, { ok: true, attempts: 3 });
    assert.deepEqual(s.bodies, ['{"n":1}', '{"n":1}', '{"n":1}']);
  } finally {
    await s.close();
  }
});

test('a 4xx other than 429 is the receiver refusing the body: not retried now', async () => {
  const s = await serve([400]);
  try {
    assert.deepEqual(await deliver({ url: s.url, body: '{}' }, options), { ok: false, attempts: 1, error: 'HTTP 400' });
    assert.equal(s.bodies.length, 1);
  } finally {
    await s.close();
  }
});

test('a receiver that does not answer is cut off after the timeout, each attempt', async () => {
  const s = await serve(['hang', 'hang', 'hang']);
  try {
    const started = performance.now();
    const result = await deliver({ url: s.url, body: '{}' }, options);
    assert.equal(result.ok, false);
    assert.equal(result.attempts, 3);
    assert.match(result.ok ? '' : result.error, /Timeout/i);
    assert.equal(s.bodies.length, 3);
    assert.ok(performance.now() - started < 5_000, 'each attempt stopped at its timeout');
  } finally {
    await s.close();
  }
});

test('a refused connection fails after every attempt, naming the cause', async () => {
  const s = await serve([]);
  await s.close();
  const result = await deliver({ url: s.url, body: '{}' }, options);
  assert.equal(result.ok, false);
  assert.match(result.ok ? '' : result.error, /ECONNREFUSED/);
});
