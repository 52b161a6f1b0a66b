import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import { fileURLToPath } from 'node:url';
import Fastify, { type FastifyInstance } from 'fastify';
import { waitUntil } from '@instant-logs/testbed';
import { installApiKeyAuth, parseApiKeys } from '../auth.ts';
import { installErrorHandler } from '../errors.ts';
import { combineKeyrings, createFileKeyring, keyringFromEnv, type FileKeyring } from './file-keyring.ts';

const CLI = fileURLToPath(new URL('./cli.ts', import.meta.url));

/** Runs the keys CLI as its own process and returns what it printed on stdout (the token, for create). */
function keysCli(...args: string[]): Promise<string> {
  return new Promise((resolve, reject) => {
    execFile(process.execPath, [CLI, ...args], (err, stdout, stderr) =>
      err ? reject(new Error(stderr)) : resolve(stdout.trim()),
    );
  });
}

const idOf = (token: string): string => token.slice(4, 16);

describe('file keyring', () => {
  let dir: string;
  let file: string;
  let shopToken: string;
  before(async () => {
    dir = await mkdtemp(join(tmpdir(), 'file-keyring-'));
    file = join(dir, 'keys.json');
    shopToken = await keysCli('create', '--file', file, '--tenant', 'shop', '--scopes', 'ingest,query', '--name', 'ci');
  });
  after(() => rm(dir, { recursive: true, force: true }));

  test('a token created by the CLI authenticates as its tenant with its scopes and id', async () => {
    const ring = await createFileKeyring(file, { reloadMs: 0 });
    const principal = ring.authenticate(shopToken);
    assert.equal(principal?.tenant, 'shop');
    assert.equal(principal?.id, idOf(shopToken));
    assert.deepEqual([...(principal?.scopes ?? [])].sort(), ['ingest', 'query']);
    ring.close();
  });

  test('a token with a known id but a wrong secret is refused', async () => {
    const ring = await createFileKeyring(file, { reloadMs: 0 });
    const forged = `${shopToken.slice(0, 17)}${shopToken[17] === 'A' ? 'B' : 'A'}${shopToken.slice(18)}`;
    assert.equal(ring.authenticate(forged), undefined);
    assert.equal(ring.authenticate('not-a-token-at-all'), undefined);
    ring.close();
  });

  test('a bad file at start throws naming the field', async () => {
    const bad = join(dir, 'bad.json');
    await writeFile(
      bad,
      JSON.stringify({
        version: 1,
        keys: [{ id: 'abc', tenant: 'shop', scopes: ['ingest'], sha256: '00', created: 'now' }],
      }),
    );
    await assert.rejects(createFileKeyring(bad, { reloadMs: 0 }), /keys\.0\.id: must be 12 lowercase hex/);
  });

  test('a broken file on reload keeps the previous keys and reports the error', async () => {
    const copy = join(dir, 'copy.json');
    await writeFile(copy, await readFile(file));
    const errors: Error[] = [];
    const ring = await createFileKeyring(copy, { reloadMs: 0, onError: (err) => errors.push(err) });
    await writeFile(copy, '{"version":1,"keys":[{"id":');
    await ring.reload();
    assert.match(errors[0]?.message ?? '', /not JSON/);
    assert.equal(ring.authenticate(shopToken)?.tenant, 'shop');
    ring.close();
  });

  test('an empty keys file still keeps auth on', async () => {
    const empty = join(dir, 'empty.json');
    await writeFile(empty, '{"version":1,"keys":[]}');
    const ring = await createFileKeyring(empty, { reloadMs: 0 });
    assert.equal(ring.enabled, true);
    ring.close();
  });

  test('combined with API_KEYS, keys from either source authenticate', async () => {
    const envKey = 'env-key-for-ops-0001';
    const ring = await keyringFromEnv({ API_KEYS: `${envKey}:ops`, API_KEYS_FILE: file, API_KEYS_RELOAD_MS: 0 });
    assert.equal(ring.authenticate(envKey)?.tenant, 'ops');
    assert.equal(ring.authenticate(shopToken)?.tenant, 'shop');
    assert.equal(combineKeyrings(parseApiKeys(''), parseApiKeys('')).enabled, false);
    ring.close();
  });

  describe('rotation while a server keeps answering', () => {
    let app: FastifyInstance;
    let ring: FileKeyring;
    let base: string;
    before(async () => {
      ring = await createFileKeyring(file, { reloadMs: 50 });
      app = Fastify();
      installErrorHandler(app, 'TEST');
      installApiKeyAuth(app, ring);
      app.get('/whoami', { config: { access: 'query' } }, async (request) => ({
        tenant: request.tenant,
        id: request.principal.id,
      }));
      base = await app.listen({ port: 0, host: '127.0.0.1' });
    });
    after(async () => {
      ring.close();
      await app.close();
    });

    const status = async (token: string): Promise<number> =>
      (await fetch(`${base}/whoami`, { headers: { authorization: `Bearer ${token}` } })).status;

    test('a key added and the old one revoked through the CLI take effect without a restart', async () => {
      assert.equal(await status(shopToken), 200);
      const newToken = await keysCli(
        'create',
        '--file',
        file,
        '--tenant',
        'shop',
        '--scopes',
        'query',
        '--name',
        'rotated',
      );
      await waitUntil('the new key to be accepted', async () => (await status(newToken)) === 200, 10_000);
      assert.equal(await status(shopToken), 200, 'the old key works until it is revoked');
      await keysCli('revoke', '--file', file, '--id', idOf(shopToken));
      await waitUntil('the revoked key to get 401', async () => (await status(shopToken)) === 401, 10_000);
      assert.equal(await status(newToken), 200);
    });
  });
});
