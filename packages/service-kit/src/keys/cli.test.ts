import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { mkdtemp, readFile, rm, stat } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import { fileURLToPath } from 'node:url';
import { sha256 } from '../auth.ts';

const CLI = fileURLToPath(new URL('./cli.ts', import.meta.url));

/** Runs the CLI as a separate process, as an operator would. */
function keysCli(...args: string[]): Promise<{ code: number; stdout: string; stderr: string }> {
  return new Promise((resolve) => {
    execFile(process.execPath, [CLI, ...args], (err, stdout, stderr) => {
      resolve({ code: err ? Number((err as { code?: number }).code ?? 1) : 0, stdout, stderr });
    });
  });
}

describe('keys CLI', () => {
  let dir: string;
  let file: string;
  before(async () => {
    dir = await mkdtemp(join(tmpdir(), 'keys-cli-'));
    file = join(dir, 'keys.json');
  });
  after(() => rm(dir, { recursive: true, force: true }));

  test('create prints a token once and stores only its hash, in a 0600 file', async () => {
    const res = await keysCli('create', '--file', file, '--tenant', 'shop', '--scopes', 'ingest,query', '--name', 'ci');
    assert.equal(res.code, 0, res.stderr);
    const token = res.stdout.trim();
    assert.match(token, /^idl_[0-9a-f]{12}_[A-Za-z0-9_-]{43}$/);
    const text = await readFile(file, 'utf8');
    // The secret is base64url, so it may itself hold '_': take everything after the id.
    const secret = token.slice('idl_'.length + 12 + 1);
    assert.equal(secret.length, 43);
    assert.ok(!text.includes(secret), 'the secret must not be stored');
    const stored = JSON.parse(text);
    assert.equal(stored.version, 1);
    assert.deepEqual(stored.keys[0], {
      ...stored.keys[0],
      id: token.slice(4, 16),
      tenant: 'shop',
      scopes: ['ingest', 'query'],
      name: 'ci',
      sha256: sha256(token).toString('hex'),
    });
    assert.equal((await stat(file)).mode & 0o777, 0o600);
  });

  test('create writes one audit line to stderr naming the key but not the token', async () => {
    const res = await keysCli('create', '--file', file, '--tenant', 'shop', '--scopes', 'admin');
    const audit = JSON.parse(res.stderr.trim());
    assert.equal(audit.audit, true);
    assert.equal(audit.action, 'create');
    assert.equal(audit.keyId, res.stdout.trim().slice(4, 16));
    assert.deepEqual(audit.scopes, ['admin']);
    assert.ok(typeof audit.actor === 'string' && audit.actor.length > 0);
    assert.ok(!res.stderr.includes(res.stdout.trim()));
  });

  test('list shows ids, tenants, scopes and names but never hashes', async () => {
    const res = await keysCli('list', '--file', file);
    assert.equal(res.code, 0);
    const stored = JSON.parse(await readFile(file, 'utf8'));
    for (const key of stored.keys) {
      assert.ok(res.stdout.includes(key.id));
      assert.ok(!res.stdout.includes(key.sha256));
    }
    assert.match(res.stdout, /shop\tingest,query\tci/);
  });

  test('revoke removes the key and audits it', async () => {
    const before = JSON.parse(await readFile(file, 'utf8')).keys;
    const id = before[0].id;
    const res = await keysCli('revoke', '--file', file, '--id', id);
    assert.equal(res.code, 0, res.stderr);
    assert.equal(JSON.parse(res.stderr.trim()).action, 'revoke');
    const afterKeys = JSON.parse(await readFile(file, 'utf8')).keys;
    assert.deepEqual(
      afterKeys.map((k: { id: string }) => k.id),
      before.slice(1).map((k: { id: string }) => k.id),
    );
  });

  test('revoking an unknown id fails naming it', async () => {
    const res = await keysCli('revoke', '--file', file, '--id', 'ffffffffffff');
    assert.equal(res.code, 1);
    assert.match(res.stderr, /no key with id ffffffffffff/);
  });

  test('secret prints a Kubernetes Secret with the file under keys.json', async () => {
    const res = await keysCli(
      'secret',
      '--file',
      file,
      '--name',
      'shop-api-keys',
      '--namespace',
      'logs',
      '--output',
      'json',
    );
    assert.equal(res.code, 0, res.stderr);
    const manifest = JSON.parse(res.stdout);
    assert.equal(manifest.kind, 'Secret');
    assert.deepEqual(
      { name: manifest.metadata.name, namespace: manifest.metadata.namespace },
      { name: 'shop-api-keys', namespace: 'logs' },
    );
    assert.equal(Buffer.from(manifest.data['keys.json'], 'base64').toString('utf8'), await readFile(file, 'utf8'));
  });

  test('secret prints YAML by default', async () => {
    const res = await keysCli('secret', '--file', file, '--name', 'shop-api-keys');
    assert.match(res.stdout, /^apiVersion: v1\nkind: Secret\n/);
    assert.match(res.stdout, /\n {2}keys\.json: [A-Za-z0-9+/=]+$/m);
  });

  const usage: [string, string[], RegExp][] = [
    ['no command', [], /missing command/],
    ['an unknown command', ['rotate'], /unknown command "rotate"/],
    ['a missing --tenant', ['create', '--file', 'k.json', '--scopes', 'ingest'], /--tenant is required/],
    [
      'an unknown scope',
      ['create', '--file', 'k.json', '--tenant', 'shop', '--scopes', 'write'],
      /Unknown scope "write"/,
    ],
    ['an unknown option', ['list', '--file', 'k.json', '--verbose'], /verbose/],
    ['a bad Secret name', ['secret', '--file', 'k.json', '--name', 'Shop_Keys'], /not a valid Kubernetes object name/],
  ];
  for (const [what, args, message] of usage) {
    test(`${what} exits with code 2 and a clear error`, async () => {
      const res = await keysCli(...args);
      assert.equal(res.code, 2);
      assert.match(res.stderr, message);
      assert.match(res.stderr, /Usage:/);
    });
  }
});
