import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import Fastify, { type FastifyInstance } from 'fastify';
import {
  assertSafeToListen,
  installApiKeyAuth,
  parseApiKeys,
  presentedKeys,
  sameDigest,
  sha256,
  type ApiKeyring,
} from './auth.ts';
import { installErrorHandler } from './errors.ts';

const KEY = 'shop-ingest-key-0001';
const ADMIN_KEY = 'ops-admin-key-000001';

function buildApp(keyring: ApiKeyring): FastifyInstance {
  const app = Fastify();
  installErrorHandler(app, 'TEST');
  installApiKeyAuth(app, keyring);
  const whoami = async (request: { tenant: string; principal: { id: string; scopes: ReadonlySet<string> } }) => ({
    tenant: request.tenant,
    id: request.principal.id,
    scopes: [...request.principal.scopes].sort(),
  });
  app.get('/whoami', { config: { access: 'query' } }, whoami);
  app.get('/admin/whoami', { config: { access: 'admin' } }, whoami);
  app.get('/healthz', { config: { access: 'public' } }, async () => ({ ok: true }));
  app.get('/undeclared', async () => ({ leaked: true }));
  return app;
}

const b64 = (s: string): string => Buffer.from(s).toString('base64');

describe('installApiKeyAuth with keys', () => {
  let app: FastifyInstance;
  before(async () => {
    app = buildApp(parseApiKeys(`${KEY}:shop,${ADMIN_KEY}:ops:query+admin`));
    await app.ready();
  });
  after(() => app.close());

  const forms: [string, Record<string, string>, string?][] = [
    ['Authorization: Bearer', { authorization: `Bearer ${KEY}` }],
    ['Authorization: ApiKey with a raw key', { authorization: `ApiKey ${KEY}` }],
    [
      'Authorization: ApiKey with base64 of id:key as Elasticsearch clients send it',
      { authorization: `ApiKey ${b64(`my-id:${KEY}`)}` },
    ],
    ['Authorization: Basic with the key as password', { authorization: `Basic ${b64(`anyone:${KEY}`)}` }],
    ['X-API-Key', { 'x-api-key': KEY }],
  ];
  for (const [name, headers] of forms) {
    test(`a key sent as ${name} authenticates as its tenant`, async () => {
      const res = await app.inject({ url: '/whoami', headers });
      assert.equal(res.statusCode, 200, res.body);
      assert.equal(res.json().tenant, 'shop');
      assert.match(res.json().id, /^key:[0-9a-f]{12}$/);
    });
  }

  test('a request without a key gets 401 with www-authenticate', async () => {
    const res = await app.inject({ url: '/whoami' });
    assert.equal(res.statusCode, 401);
    assert.equal(res.headers['www-authenticate'], 'Bearer');
    assert.equal(res.json().error.code, 'TEST_UNAUTHORIZED');
  });

  test('an unknown key gets 401', async () => {
    const res = await app.inject({ url: '/whoami', headers: { authorization: `Bearer ${KEY.slice(0, -1)}X` } });
    assert.equal(res.statusCode, 401);
    assert.match(res.json().error.message, /unknown API key/);
  });

  test('Basic auth whose password is not a key gets 401', async () => {
    const res = await app.inject({
      url: '/whoami',
      headers: { authorization: `Basic ${b64(`${KEY}:wrong-password-123`)}` },
    });
    assert.equal(res.statusCode, 401);
  });

  test('a key without the needed scope gets 403 naming the scope', async () => {
    const res = await app.inject({ url: '/admin/whoami', headers: { authorization: `Bearer ${KEY}` } });
    assert.equal(res.statusCode, 403);
    assert.equal(res.json().error.code, 'TEST_FORBIDDEN');
    assert.match(res.json().error.message, /"admin" scope/);
  });

  test('a key with the admin scope reaches admin routes', async () => {
    const res = await app.inject({ url: '/admin/whoami', headers: { 'x-api-key': ADMIN_KEY } });
    assert.equal(res.statusCode, 200);
    assert.deepEqual(res.json().scopes, ['admin', 'query']);
    assert.equal(res.json().tenant, 'ops');
  });

  test('public paths need no key', async () => {
    const res = await app.inject({ url: '/healthz' });
    assert.equal(res.statusCode, 200);
  });

  test('a route that declares no access is refused even to a key with every scope', async () => {
    const res = await app.inject({ url: '/undeclared', headers: { 'x-api-key': ADMIN_KEY } });
    assert.equal(res.statusCode, 403);
    assert.equal(res.body.includes('leaked'), false);
  });

  for (const param of ['api_key', 'apikey', 'access_token']) {
    test(`a key in the URL (${param}) is refused with 401 pointing at the Authorization header, even a valid one`, async () => {
      for (const url of [`/whoami?${param}=${KEY}`, `/healthz?${param}=${KEY}`, `/whoami?${param}=${KEY}&q=x`]) {
        const res = await app.inject({ url, headers: { authorization: `Bearer ${KEY}` } });
        assert.equal(res.statusCode, 401, url);
        assert.match(res.json().error.message, /not accepted in URLs.*Authorization: Bearer/);
      }
    });
  }
});

test('with no keys every request acts as the default tenant with every scope', async () => {
  const app = buildApp(parseApiKeys(''));
  const res = await app.inject({ url: '/admin/whoami' });
  assert.equal(res.statusCode, 200);
  assert.deepEqual(res.json(), { tenant: 'default', id: 'anonymous', scopes: ['admin', 'ingest', 'query'] });
  await app.close();
});

test('client certificates turn auth on even without keys', async () => {
  const app = Fastify();
  installErrorHandler(app, 'TEST');
  installApiKeyAuth(app, parseApiKeys(''), { clientCertificates: true });
  app.get('/x', { config: { access: 'ingest' } }, async () => 'ok');
  // app.inject has no TLS socket, so there is no verified certificate to stand in for a key.
  const res = await app.inject({ url: '/x' });
  assert.equal(res.statusCode, 401);
  await app.close();
});

describe('parseApiKeys', () => {
  test('a key without scopes may ingest and query but not administer', () => {
    const p = parseApiKeys(`${KEY}:shop`).authenticate(KEY);
    assert.deepEqual([...(p?.scopes ?? [])].sort(), ['ingest', 'query']);
  });

  test('a key with scopes gets exactly those', () => {
    const p = parseApiKeys(`${KEY}:shop:ingest+admin`).authenticate(KEY);
    assert.deepEqual([...(p?.scopes ?? [])].sort(), ['admin', 'ingest']);
  });

  test('a key without a tenant acts for the default tenant', () => {
    assert.equal(parseApiKeys(KEY).authenticate(KEY)?.tenant, 'default');
  });

  test('an unknown scope is rejected naming it', () => {
    assert.throws(() => parseApiKeys(`${KEY}:shop:ingest+write`), /Unknown scope "write"/);
  });

  test('a short key or a bad tenant is rejected', () => {
    assert.throws(() => parseApiKeys('short:shop'), /at least 16/);
    assert.throws(() => parseApiKeys(`${KEY}:shop floor`), /Invalid tenant/);
  });

  test('the principal id never contains the key', () => {
    const p = parseApiKeys(`${KEY}:shop`).authenticate(KEY);
    assert.ok(p && !p.id.includes(KEY));
  });
});

describe('constant-time comparison', () => {
  test('presented keys of any length are hashed to 32 bytes before comparing', () => {
    // timingSafeEqual throws on unequal lengths; comparing digests means a short or long guess never reaches it unequal.
    assert.equal(sha256('x').length, 32);
    assert.equal(sha256('y'.repeat(10_000)).length, 32);
    assert.equal(parseApiKeys(`${KEY}:shop`).authenticate('y'.repeat(10_000)), undefined);
  });

  test('sameDigest tells equal digests from ones differing in the last byte', () => {
    const a = sha256(KEY);
    const b = Buffer.from(a);
    b[31] = (b[31] ?? 0) ^ 1;
    assert.equal(sameDigest(a, Buffer.from(a)), true);
    assert.equal(sameDigest(a, b), false);
    assert.equal(sameDigest(a, a.subarray(0, 16)), false);
  });
});

test('an ApiKey header that is not base64 of id:key is read as the key itself', () => {
  const keys = presentedKeys({ headers: { authorization: 'ApiKey idl_0123456789ab_secret' } });
  assert.deepEqual(keys, ['idl_0123456789ab_secret']);
});

test('assertSafeToListen refuses a public address with auth off', () => {
  assert.throws(() => assertSafeToListen(parseApiKeys(''), '0.0.0.0'), /Refusing to listen/);
  assert.doesNotThrow(() => assertSafeToListen(parseApiKeys(''), '0.0.0.0', false, true));
  assert.doesNotThrow(() => assertSafeToListen(parseApiKeys(KEY), '0.0.0.0'));
});
