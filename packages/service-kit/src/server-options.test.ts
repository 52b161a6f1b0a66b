import assert from 'node:assert/strict';
import { Writable } from 'node:stream';
import { test } from 'node:test';
import Fastify, { LogController } from 'fastify';
import { maskSecretsInUrl, serverOptions } from './server-options.ts';

const SECRET = 'sk-live-0123456789abcdef';

function capturingApp(requestLogging = false) {
  const lines: string[] = [];
  const stream = new Writable({
    write(chunk, _encoding, done) {
      lines.push(String(chunk));
      done();
    },
  });
  const app = Fastify(
    serverOptions({ level: 'info', stream }, requestLogging ? { logController: new LogController() } : {}),
  );
  return { app, lines };
}

test('a failed request is logged without its key, cookie or api_key parameter, even with request logging on', async () => {
  const { app, lines } = capturingApp(true);
  // fastify's own error handler logs the request (method, URL) with the error.
  app.get('/api/v1/tail', async () => {
    throw new Error('store unavailable');
  });
  const res = await app.inject({
    url: `/api/v1/tail?q=error&api_key=${SECRET}&from=now-5m`,
    headers: { authorization: `Bearer ${SECRET}`, 'x-api-key': SECRET, cookie: `session=${SECRET}` },
  });
  assert.equal(res.statusCode, 500);
  const logged = lines.join('');
  assert.match(logged, /store unavailable/);
  assert.match(logged, /\/api\/v1\/tail\?q=error&api_key=\[redacted\]&from=now-5m/);
  assert.equal(logged.includes(SECRET), false);
});

test('request headers logged by a handler have their credentials redacted', async () => {
  const { app, lines } = capturingApp();
  app.get('/debug', async (request) => {
    request.log.warn({ headers: request.headers }, 'Logged the headers');
    return {};
  });
  await app.inject({
    url: '/debug',
    headers: { authorization: `Bearer ${SECRET}`, 'x-api-key': SECRET, cookie: `a=${SECRET}`, 'user-agent': 'curl' },
  });
  const logged = lines.join('');
  assert.match(logged, /Logged the headers/);
  assert.match(logged, /"user-agent":"curl"/);
  assert.equal(logged.includes(SECRET), false);
});

test('api_key and tail tickets are masked wherever they sit in the query string', () => {
  assert.equal(maskSecretsInUrl('/a?api_key=s1'), '/a?api_key=[redacted]');
  assert.equal(maskSecretsInUrl('/a?x=1&API_KEY=s1&y=2'), '/a?x=1&API_KEY=[redacted]&y=2');
  assert.equal(maskSecretsInUrl('/a?my_api_key_hint=ok'), '/a?my_api_key_hint=ok');
  assert.equal(maskSecretsInUrl('/api/v1/tail?q=x&ticket=idt_abc.def'), '/api/v1/tail?q=x&ticket=[redacted]');
});

test('logging stays off when no logger is given', () => {
  assert.equal(serverOptions(undefined).logger, false);
});
