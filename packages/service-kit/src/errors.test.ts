import assert from 'node:assert/strict';
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { test } from 'node:test';
import { fileURLToPath } from 'node:url';
import Fastify from 'fastify';
import {
  CodedError,
  defineErrors,
  errorBody,
  installErrorHandler,
  installNotFoundHandler,
  KIT_ERRORS,
} from './errors.ts';

const ERRORS = defineErrors({
  SYNTAX: { status: 400, message: '{reason}' },
  TOO_MANY: { status: 429, message: 'at most {max} at once; this is {count}' },
});

class DomainError extends Error {}

async function appWith(limit = 1024) {
  const app = Fastify({ bodyLimit: limit });
  await app.register(async (scope) => {
    installErrorHandler(scope, 'TEST', {
      mediaTypes: ['application/json'],
      mapError: (err) =>
        err instanceof DomainError ? ERRORS.SYNTAX({ reason: err.message, field: 'q', position: 3 }) : err,
    });
    scope.removeContentTypeParser('text/plain');
    scope.get('/items', async () => {
      throw ERRORS.TOO_MANY({ max: 2, count: 5, headers: { 'retry-after': '1' } });
    });
    scope.post('/items', async (request) => ({ got: request.body }));
    scope.get('/domain', async () => {
      throw new DomainError('unclosed quote');
    });
    scope.get('/crash', async () => {
      throw new Error('secret detail');
    });
  });
  installNotFoundHandler(app, 'TEST');
  return app;
}

test('a catalog code answers with its declared status, the filled template and the prefix added once', async () => {
  const res = await (await appWith()).inject({ url: '/items' });
  assert.equal(res.statusCode, 429);
  assert.equal(res.headers['retry-after'], '1');
  assert.deepEqual(res.json(), { error: { code: 'TEST_TOO_MANY', message: 'at most 2 at once; this is 5' } });
});

test('a domain error is mapped by the one handler, with its position as a field', async () => {
  const res = await (await appWith()).inject({ url: '/domain' });
  assert.equal(res.statusCode, 400);
  assert.deepEqual(res.json(), { error: { code: 'TEST_SYNTAX', message: 'unclosed quote', field: 'q', position: 3 } });
});

test('an unexpected error is a 500 that does not leak its message', async () => {
  const res = await (await appWith()).inject({ url: '/crash' });
  assert.equal(res.statusCode, 500);
  assert.equal(res.json().error.code, 'TEST_INTERNAL');
  assert.doesNotMatch(res.body, /secret detail/);
});

test('a refused content type is a 415 that lists the accepted types', async () => {
  const res = await (
    await appWith()
  ).inject({ method: 'POST', url: '/items', payload: 'x', headers: { 'content-type': 'text/plain' } });
  assert.equal(res.statusCode, 415);
  const { error } = res.json();
  assert.equal(error.code, 'TEST_UNSUPPORTED_MEDIA_TYPE');
  assert.equal(error.field, 'Content-Type');
  assert.match(error.message, /"text\/plain" is not accepted here; send one of: application\/json$/);
  assert.equal(res.headers['accept-post'], 'application/json');
});

test('a body over the limit is a 413 that states the limit in bytes', async () => {
  const res = await (
    await appWith(100)
  ).inject({
    method: 'POST',
    url: '/items',
    payload: JSON.stringify({ a: 'x'.repeat(200) }),
    headers: { 'content-type': 'application/json' },
  });
  assert.equal(res.statusCode, 413);
  assert.deepEqual(res.json(), {
    error: { code: 'TEST_PAYLOAD_TOO_LARGE', message: 'request body exceeds the limit of 100 bytes' },
  });
});

test('a known path asked with another method is a 405 listing the allowed ones in Allow; an unknown path stays 404', async () => {
  const app = await appWith();
  const res = await app.inject({ method: 'DELETE', url: '/items?x=1' });
  assert.equal(res.statusCode, 405);
  assert.equal(res.headers['allow'], 'GET, HEAD, POST');
  assert.equal(res.json().error.code, 'TEST_METHOD_NOT_ALLOWED');
  assert.match(res.json().error.message, /DELETE is not allowed on \/items; use GET, HEAD, POST/);
  const missing = await app.inject({ method: 'DELETE', url: '/nothing' });
  assert.equal(missing.statusCode, 404);
  assert.equal(missing.json().error.code, 'TEST_NOT_FOUND');
});

test('a service may not declare a code the kit already declares, nor one that is not UPPER_SNAKE_CASE', () => {
  assert.throws(
    () => defineErrors({ NOT_FOUND: { status: 404, message: 'again' } }),
    /NOT_FOUND is already declared by service-kit/,
  );
  assert.throws(() => defineErrors({ 'bad-code': { status: 400, message: 'x' } }), /UPPER_SNAKE_CASE/);
});

test('the catalog lists its own codes and the shared ones, each with one status', () => {
  assert.equal(ERRORS.specs['SYNTAX']?.status, 400);
  assert.equal(ERRORS.specs['UNAUTHORIZED']?.status, 401);
  const err = KIT_ERRORS.UNAUTHORIZED({ reason: 'missing API key' });
  assert.ok(err instanceof CodedError);
  assert.deepEqual(errorBody(err, 'QUERY'), { code: 'QUERY_UNAUTHORIZED', message: 'missing API key' });
});

test('no module outside this file makes a CodedError by hand: every code comes from a catalog', () => {
  const root = fileURLToPath(new URL('../../..', import.meta.url));
  const own = join(root, 'packages/service-kit/src/errors.ts');
  const sources = ['packages', 'services', 'operator'].flatMap((dir) =>
    readdirSync(join(root, dir), { recursive: true, encoding: 'utf8' })
      .filter((f) => f.endsWith('.ts') && !f.endsWith('.test.ts') && !f.split('/').includes('node_modules'))
      .map((f) => join(root, dir, f)),
  );
  assert.ok(sources.length > 100, `found ${sources.length} source files`);
  const byHand = sources.filter((f) => f !== own && readFileSync(f, 'utf8').includes('new CodedError('));
  assert.deepEqual(byHand, []);
});
