import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdirSync, mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { startTestPipeline } from '../../services/embedded/src/test-pipeline.ts';
import type { EmbeddedPipeline } from '../../services/embedded/src/app.ts';

// How the query service serves a dashboard build, on the real embedded app (no browser needed).
const KEY = 'k'.repeat(24);
let built: EmbeddedPipeline;
let notBuilt: EmbeddedPipeline;

before(async () => {
  const dir = mkdtempSync(join(tmpdir(), 'idl-dashboard-'));
  mkdirSync(join(dir, 'assets'));
  writeFileSync(
    join(dir, 'index.html'),
    '<!doctype html><title>Instant Dev Logs</title><script type="module" src="./assets/index-abc123.js"></script>',
  );
  writeFileSync(join(dir, 'assets', 'index-abc123.js'), 'console.log("dashboard")');
  writeFileSync(join(dir, 'secret.txt'), 'not an asset');
  built = await startTestPipeline({ dashboardDir: dir, apiKeys: `${KEY}:acme` });
  notBuilt = await startTestPipeline({ dashboardDir: join(dir, 'missing') });
});
after(async () => {
  await built.close();
  await notBuilt.close();
});

// Browsers ask for HTML; without it "/" answers Elasticsearch clients probing the cluster.
const page = { accept: 'text/html,application/xhtml+xml' };

describe('serving the dashboard build', () => {
  test('the page is revalidated on every load, so a new build shows at once', async () => {
    const res = await built.app.inject({ method: 'GET', url: '/?q=timeout', headers: page });
    assert.equal(res.statusCode, 200);
    assert.match(res.headers['content-type'] as string, /^text\/html/);
    assert.equal(res.headers['cache-control'], 'no-cache');
    assert.match(res.body, /index-abc123\.js/);
  });

  test('hashed assets are cached for a year, with their content type', async () => {
    const res = await built.app.inject({ method: 'GET', url: '/assets/index-abc123.js' });
    assert.equal(res.statusCode, 200);
    assert.equal(res.headers['cache-control'], 'public, max-age=31536000, immutable');
    assert.match(res.headers['content-type'] as string, /^text\/javascript/);
    assert.equal(res.body, 'console.log("dashboard")');
  });

  test('unknown assets and paths outside the assets folder are a coded 404', async () => {
    for (const url of [
      '/assets/nope.js',
      '/assets/..%2fsecret.txt',
      '/assets/%2e%2e/index.html',
      '/assets/../secret.txt',
    ]) {
      const res = await built.app.inject({ method: 'GET', url });
      assert.equal(res.statusCode, 404, url);
      assert.match(res.json().error.code, /_NOT_FOUND$/, url);
    }
  });

  test('with API keys on, the page and its assets are public while the API is not', async () => {
    assert.equal((await built.app.inject({ method: 'GET', url: '/', headers: page })).statusCode, 200);
    assert.equal((await built.app.inject({ method: 'GET', url: '/assets/index-abc123.js' })).statusCode, 200);
    assert.equal((await built.app.inject({ method: 'GET', url: '/api/v1/logs' })).statusCode, 401);
    const authorised = await built.app.inject({
      method: 'GET',
      url: '/api/v1/logs',
      headers: { authorization: `Bearer ${KEY}` },
    });
    assert.equal(authorised.statusCode, 200);
  });

  test('without a build the page says how to make one', async () => {
    const res = await notBuilt.app.inject({ method: 'GET', url: '/', headers: page });
    assert.equal(res.statusCode, 200);
    assert.match(res.body, /npm run build -w @instant-logs\/dashboard/);
    assert.match(res.body, /make dev/);
  });
});
