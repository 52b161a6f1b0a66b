import assert from 'node:assert/strict';
import { request as httpRequest } from 'node:http';
import { after, before, describe, test } from 'node:test';
import fc from 'fast-check';
import type { FastifyInstance } from 'fastify';
import { buildApp as buildCollectorApp } from '@instant-logs/collector';
import { buildApp as buildQueryApp } from '@instant-logs/query';
import { createInProcessQueue } from '@instant-logs/queue';
import { openApiDocument } from '@instant-logs/schema';
import { declaredRoutes, parseApiKeys, type RouteAccess } from '@instant-logs/service-kit';
import { startTestPipeline } from './test-pipeline.ts';
import type { LogStore } from '@instant-logs/store';
import type { EmbeddedPipeline } from './app.ts';

// One tenant, one key per scope, and one key with every scope to prove the paths are reachable at all.
const KEYS = {
  ingest: 'acme-ingest-key-00001',
  query: 'acme-query-key-000001',
  admin: 'acme-admin-key-000001',
  all: 'acme-all-key-00000001',
};
const API_KEYS = `${KEYS.ingest}:acme:ingest,${KEYS.query}:acme:query,${KEYS.admin}:acme:admin,${KEYS.all}:acme:ingest+query+admin`;
const RECORDS = 5;

interface Target {
  name: string;
  app: FastifyInstance;
  port: number;
}

let pipeline: EmbeddedPipeline & { store: LogStore };
const targets: Target[] = [];

async function listen(name: string, app: FastifyInstance): Promise<void> {
  await app.listen({ host: '127.0.0.1', port: 0 });
  const address = app.server.address();
  targets.push({ name, app, port: typeof address === 'object' && address ? address.port : 0 });
}

/** Sends the path byte for byte (no client-side normalisation), as an attacker's raw socket would. */
function send(port: number, method: string, path: string, key: string): Promise<{ status: number; body: string }> {
  return new Promise((resolve, reject) => {
    const body = method === 'POST' ? JSON.stringify({ from: '0', service: 'x', message: 'x' }) : undefined;
    const req = httpRequest(
      {
        host: '127.0.0.1',
        port,
        method,
        path,
        headers: { authorization: `Bearer ${key}`, ...(body ? { 'content-type': 'application/json' } : {}) },
      },
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

// A concrete path for a route pattern: parameters and wildcards get plain values.
const concrete = (url: string): string => url.replace(/:[A-Za-z]+/g, 'logs-x').replace('*', 'index.js');

const hex = (c: string, upper: boolean): string => {
  const h = c.charCodeAt(0).toString(16).padStart(2, '0');
  return `%${upper ? h.toUpperCase() : h}`;
};

/** Variants of a path a router or a proxy might treat as the same: encoded, case-varied, doubled, dotted, trailing. */
const variantOf = (path: string) =>
  fc
    .record({
      // Mostly kept, so many variants still route and the scope check, not the 404, is what gets tested.
      chars: fc.array(
        fc.oneof(
          { arbitrary: fc.constant('keep'), weight: 10 },
          { arbitrary: fc.constantFrom('encode', 'ENCODE', 'double-encode', 'upper'), weight: 1 },
        ),
        {
          minLength: path.length,
          maxLength: path.length,
        },
      ),
      shape: fc.constantFrom(
        'none',
        'double-slash',
        'dot',
        'dot-dot',
        'trailing-slash',
        'encoded-slash',
        'backslash',
        'query',
        'fragment-like',
      ),
      at: fc.nat(),
    })
    .map(({ chars, shape, at }) => {
      let out = [...path]
        .map((c, i) => {
          if (c === '/') return c;
          switch (chars[i]) {
            case 'encode':
              return hex(c, false);
            case 'ENCODE':
              return hex(c, true);
            case 'double-encode':
              return `%25${hex(c, false).slice(1)}`;
            case 'upper':
              return c.toUpperCase();
            default:
              return c;
          }
        })
        .join('');
      const slashes = [...out.matchAll(/\//g)].map((m) => m.index);
      const slash = slashes[at % slashes.length] ?? 0;
      const splice = (insert: string, remove = 1) => out.slice(0, slash) + insert + out.slice(slash + remove);
      switch (shape) {
        case 'double-slash':
          out = splice('//');
          break;
        case 'dot':
          out = splice('/./');
          break;
        case 'dot-dot':
          out = splice('/x/../');
          break;
        case 'trailing-slash':
          out = `${out}/`;
          break;
        case 'encoded-slash':
          out = slash === 0 ? out : splice('%2f');
          break;
        case 'backslash':
          out = slash === 0 ? out : splice('\\');
          break;
        case 'query':
          out = `${out}?scope=admin`;
          break;
        case 'fragment-like':
          out = `${out}%23`;
          break;
      }
      return out;
    });

// Which keys lack the access each route declares.
const lacking: Record<Exclude<RouteAccess, 'public'>, (keyof typeof KEYS)[]> = {
  ingest: ['query', 'admin'],
  query: ['ingest', 'admin'],
  admin: ['ingest', 'query'],
};

const countStored = async (): Promise<number> => {
  const res = await send(
    targets[0]!.port,
    'GET',
    '/api/v1/logs?from=0&limit=1000&q=-service:instant-logs-audit',
    KEYS.all,
  );
  assert.equal(res.status, 200, res.body);
  return (JSON.parse(res.body) as { records: unknown[] }).records.length;
};

before(async () => {
  pipeline = await startTestPipeline({ apiKeys: API_KEYS });
  const keyring = parseApiKeys(API_KEYS);
  await listen('embedded', pipeline.app);
  // The standalone services on the same store: the query service reads it, the collector writes to it.
  await listen('query', buildQueryApp({ store: pipeline.store, keyring }));
  // Each request inserted as it comes: the writer is not what this file tests.
  const insertEach = createInProcessQueue((chunk) => pipeline.store.insert(chunk.data));
  await listen('collector', buildCollectorApp({ queue: insertEach, keyring }));
  const ingest = await send(targets[0]!.port, 'POST', '/api/v1/logs', KEYS.ingest);
  assert.equal(ingest.status, 202, ingest.body);
  for (let i = 1; i < RECORDS; i++)
    assert.equal((await send(targets[2]!.port, 'POST', '/api/v1/logs', KEYS.ingest)).status, 202);
  assert.equal(await countStored(), RECORDS);
});
after(async () => {
  for (const t of targets.slice(1)) await t.app.close();
  await pipeline.close();
});

describe('routes declare their access', () => {
  test('every route of every server states a scope or is public, and the admin and query API are never public', () => {
    for (const { name, app } of targets) {
      const routes = declaredRoutes(app);
      assert.ok(routes.length > 5, `${name} listed no routes`);
      for (const route of routes) {
        if (route.url.startsWith('/api/v1/admin/'))
          assert.equal(route.access, 'admin', `${name} ${route.method} ${route.url}`);
        // The API's description is public; the API is not.
        else if (route.url === '/api/v1/openapi.json')
          assert.equal(route.access, 'public', `${name} ${route.method} ${route.url}`);
        else if (route.url.startsWith('/api/') && route.method !== 'OPTIONS')
          assert.notEqual(route.access, 'public', `${name} ${route.method} ${route.url}`);
      }
    }
    const embedded = declaredRoutes(targets[0]!.app).map((r) => `${r.method} ${r.url} ${r.access}`);
    for (const expected of [
      'POST /api/v1/logs ingest',
      'GET /api/v1/logs query',
      'GET /api/v1/admin/usage admin',
      'POST /api/v1/admin/delete admin',
      'GET /healthz public',
    ]) {
      assert.ok(embedded.includes(expected), `missing ${expected}`);
    }
  });

  test('every /api route of every server is in the OpenAPI document, with the access it declares', () => {
    const paths = openApiDocument()['paths'] as Record<string, Record<string, { 'x-access': string }>>;
    for (const { name, app } of targets) {
      for (const route of declaredRoutes(app).filter(
        (r) => r.url.startsWith('/api/') && !['HEAD', 'OPTIONS'].includes(r.method),
      )) {
        const operation = paths[route.url.replace(/:(\w+)/g, '{$1}')]?.[route.method.toLowerCase()];
        assert.ok(operation, `${name}: ${route.method} ${route.url} is missing from packages/schema/src/api-routes.ts`);
        assert.equal(operation['x-access'], route.access, `${name} ${route.method} ${route.url}`);
      }
    }
  });

  test('a server refuses to start with a route that declares no access', async () => {
    const app = buildQueryApp({ store: pipeline.store, keyring: parseApiKeys(API_KEYS) });
    await assert.rejects(async () => {
      app.get('/api/v1/undeclared', async () => ({ leaked: true }));
      await app.ready();
    }, /declares no access/);
  });
});

describe("no encoding of a path reaches a route beyond the key's scope", () => {
  test('the exact paths answer 403 naming the scope to a key without it, and reach the route with one', async () => {
    const embedded = targets[0]!;
    const refused = await send(embedded.port, 'GET', '/api/v1/admin/usage', KEYS.query);
    assert.equal(refused.status, 403, refused.body);
    assert.match(JSON.parse(refused.body).error.message, /"admin" scope/);
    assert.equal((await send(embedded.port, 'GET', '/api/v1/admin/usage', KEYS.admin)).status, 200);
    // The case the outside test found: %61 is "a" to the router.
    const cases = [
      ['GET', '/api/v1/%61dmin/usage', 'query'],
      ['POST', '/api/v1/%61dmin/delete', 'query'],
      ['GET', '/api/v1/%6c%6f%67s', 'ingest'],
    ] as const;
    for (const [method, path, key] of cases) {
      const res = await send(embedded.port, method, path, KEYS[key]);
      assert.equal(res.status, 403, `${method} ${path}: ${res.body}`);
    }
  });

  for (const name of ['embedded', 'query', 'collector']) {
    test(`${name}: generated variants of every scoped path never succeed with a key lacking the scope`, async () => {
      const target = targets.find((t) => t.name === name)!;
      const scoped = declaredRoutes(target.app).filter(
        (r) => r.access !== 'public' && ['GET', 'POST', 'PUT'].includes(r.method),
      );
      assert.ok(scoped.length > 0);
      let reached = 0;
      for (const route of scoped) {
        const path = concrete(route.url);
        await fc.assert(
          fc.asyncProperty(
            variantOf(path),
            fc.constantFrom(...lacking[route.access as Exclude<RouteAccess, 'public'>]),
            async (variant, key) => {
              const res = await send(target.port, route.method, variant, KEYS[key]);
              assert.ok(
                [400, 401, 403, 404].includes(res.status),
                `${route.method} ${variant} with the ${key} key answered ${res.status}: ${res.body.slice(0, 200)}`,
              );
              if (res.status === 403) reached++;
            },
          ),
          { numRuns: 30 },
        );
      }
      assert.ok(
        reached > 0,
        `no variant reached a route: the property tested only 404s (${scoped.map((r) => r.method + ' ' + r.url).join(', ')})`,
      );
    });
  }

  test('after every attempt, nothing was deleted', async () => {
    assert.equal(await countStored(), RECORDS);
  });
});
