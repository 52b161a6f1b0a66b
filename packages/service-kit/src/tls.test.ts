import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { mkdtemp, rm } from 'node:fs/promises';
import { request } from 'node:https';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import type { TLSSocket } from 'node:tls';
import Fastify, { type FastifyInstance } from 'fastify';
import type { Server } from 'node:https';
import { createTestCertificates, waitUntil, type CertAndKey, type TestCertificates } from '@instant-logs/testbed';
import { installApiKeyAuth, parseApiKeys } from './auth.ts';
import { installErrorHandler } from './errors.ts';
import { tlsFromEnv, tlsServerOptions, watchCertificates, type ClientAuth } from './tls.ts';

const KEY = 'ops-query-key-000001';

interface Answer {
  status: number;
  body: string;
  fingerprint: string;
}

/** One HTTPS GET on a fresh connection (agent: false), so every call makes its own TLS handshake. */
function get(
  url: string,
  tls: { ca?: string; client?: CertAndKey; headers?: Record<string, string> },
): Promise<Answer> {
  return new Promise((resolve, reject) => {
    const req = request(
      url,
      {
        agent: false,
        ...(tls.ca ? { ca: readFileSync(tls.ca) } : {}),
        ...(tls.client ? { cert: readFileSync(tls.client.certFile), key: readFileSync(tls.client.keyFile) } : {}),
        headers: tls.headers ?? {},
      },
      (res) => {
        const fingerprint = (res.socket as TLSSocket).getPeerCertificate().fingerprint256;
        let body = '';
        res.setEncoding('utf8');
        res.on('data', (chunk: string) => (body += chunk));
        res.on('end', () => resolve({ status: res.statusCode ?? 0, body, fingerprint }));
      },
    );
    req.on('error', reject);
    req.end();
  });
}

let dir: string;
let certs: TestCertificates;
before(async () => {
  dir = await mkdtemp(join(tmpdir(), 'tls-test-'));
  certs = await createTestCertificates(dir, { clients: ['shop', 'shop.floor'] });
});
after(() => rm(dir, { recursive: true, force: true }));

async function startServer(clientAuth: ClientAuth): Promise<{ app: FastifyInstance<Server>; url: string }> {
  const https = tlsServerOptions({
    certFile: certs.server.certFile,
    keyFile: certs.server.keyFile,
    clientCaFile: certs.caFile,
    clientAuth,
  });
  const app = Fastify({ https }) as unknown as FastifyInstance<Server>;
  installErrorHandler(app as unknown as FastifyInstance, 'TEST');
  installApiKeyAuth(app as unknown as FastifyInstance, parseApiKeys(`${KEY}:ops:query+ingest`), {
    clientCertificates: clientAuth !== 'none',
  });
  app.get('/whoami', { config: { access: 'ingest' } }, async (request) => ({
    tenant: request.tenant,
    id: request.principal.id,
  }));
  const address = await app.listen({ port: 0, host: '127.0.0.1' });
  return { app, url: `${address}/whoami` };
}

describe('TLS without client certificates', () => {
  let server: { app: FastifyInstance<Server>; url: string };
  before(async () => (server = await startServer('none')));
  after(() => server.app.close());

  test('a client trusting the CA gets an answer over TLS', async () => {
    const res = await get(server.url, { ca: certs.caFile, headers: { authorization: `Bearer ${KEY}` } });
    assert.equal(res.status, 200);
    assert.equal(JSON.parse(res.body).tenant, 'ops');
  });

  test('a client that does not trust the CA refuses the server', async () => {
    await assert.rejects(get(server.url, {}), /self-signed|unable to verify|certificate/i);
  });
});

describe('mutual TLS with client certificates required', () => {
  let server: { app: FastifyInstance<Server>; url: string };
  before(async () => (server = await startServer('require')));
  after(() => server.app.close());

  test('a client without a certificate fails the handshake', async () => {
    await assert.rejects(get(server.url, { ca: certs.caFile }), { code: 'ERR_SSL_TLSV13_ALERT_CERTIFICATE_REQUIRED' });
  });

  test('a client certificate from an untrusted CA fails the handshake', async () => {
    // The server drops the connection during the TLS 1.3 handshake; the client sees a reset or an unknown-CA alert.
    await assert.rejects(
      get(server.url, { ca: certs.caFile, client: certs.untrustedClient }),
      (err: NodeJS.ErrnoException) => ['ECONNRESET', 'ERR_SSL_TLSV1_ALERT_UNKNOWN_CA'].includes(err.code ?? ''),
    );
  });

  test('a good client certificate authenticates as its CN tenant', async () => {
    const res = await get(server.url, { ca: certs.caFile, client: certs.clients['shop']! });
    assert.equal(res.status, 200, res.body);
    assert.deepEqual(JSON.parse(res.body), { tenant: 'shop', id: 'cert:shop' });
  });

  test('a key sent along with a client certificate wins', async () => {
    const res = await get(server.url, {
      ca: certs.caFile,
      client: certs.clients['shop']!,
      headers: { 'x-api-key': KEY },
    });
    assert.equal(JSON.parse(res.body).tenant, 'ops');
  });

  test('a certificate whose CN is not a valid tenant name gets 401', async () => {
    const res = await get(server.url, { ca: certs.caFile, client: certs.clients['shop.floor']! });
    assert.equal(res.status, 401);
    assert.match(JSON.parse(res.body).error.message, /not a valid tenant/);
  });
});

test('with client auth optional, an untrusted certificate connects but must still present a key', async () => {
  const server = await startServer('optional');
  try {
    const res = await get(server.url, { ca: certs.caFile, client: certs.untrustedClient });
    assert.equal(res.status, 401);
  } finally {
    await server.app.close();
  }
});

test('client auth without a client CA is refused naming the setting', () => {
  assert.throws(() => tlsServerOptions({ certFile: 'x', keyFile: 'y', clientAuth: 'require' }), /TLS_CLIENT_CA_FILE/);
  assert.throws(
    () => tlsServerOptions({ certFile: join(dir, 'missing.crt'), keyFile: 'y', clientAuth: 'none' }),
    /certFile .*missing\.crt/,
  );
});

test('watchCertificates serves a reissued server certificate without a restart', async () => {
  const server = await startServer('none');
  const errors: Error[] = [];
  const watch = watchCertificates(server.app.server, certs.server, {
    reloadMs: 50,
    onError: (err) => errors.push(err),
  });
  try {
    const first = (await get(server.url, { ca: certs.caFile, headers: { 'x-api-key': KEY } })).fingerprint;
    await certs.reissueServer();
    const next = await waitUntil(
      'a new server certificate to be served',
      async () => {
        const seen = (await get(server.url, { ca: certs.caFile, headers: { 'x-api-key': KEY } })).fingerprint;
        return seen !== first ? seen : undefined;
      },
      10_000,
    );
    assert.notEqual(next, first);
  } finally {
    watch.close();
    await server.app.close();
  }
});

test('tlsFromEnv is off without certificate files and turns client certificates on with client auth', () => {
  assert.equal(tlsFromEnv({}), undefined);
  assert.throws(() => tlsFromEnv({ TLS_CERT_FILE: certs.server.certFile }), /must be set together/);
  const tls = tlsFromEnv({
    TLS_CERT_FILE: certs.server.certFile,
    TLS_KEY_FILE: certs.server.keyFile,
    TLS_CLIENT_CA_FILE: certs.caFile,
    TLS_CLIENT_AUTH: 'require',
  });
  assert.equal(tls?.clientCertificates, true);
  assert.equal(tls?.https.rejectUnauthorized, true);
  assert.equal(tls?.files.clientCaFile, certs.caFile);
});
