import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawn, type ChildProcess } from 'node:child_process';
import { once } from 'node:events';
import { mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createInterface } from 'node:readline';
import { fileURLToPath } from 'node:url';
import { IngestResponse, LogPage } from '@instant-logs/schema';

// `make dev` as a user runs it: a process configured by environment, data kept on disk, and Node's
// flags from the Makefile's recipe (a flag this Node does not know fails here, not in a user's terminal).
const MAIN = fileURLToPath(new URL('./main.ts', import.meta.url));
const MAKEFILE = fileURLToPath(new URL('../../../Makefile', import.meta.url));

/** Pure: the Node flags of the `dev` target's recipe. */
function devNodeFlags(makefile: string): string[] {
  const recipe = /^dev:.*\n\tnode ((?:--\S+ )*)services\/embedded\/src\/main\.ts$/m.exec(makefile);
  if (!recipe) throw new Error('the Makefile has no `dev` recipe running node … services/embedded/src/main.ts');
  return recipe[1]!.trim().split(' ').filter(Boolean);
}

async function start(dataDir: string): Promise<{ child: ChildProcess; url: string }> {
  const child = spawn(process.execPath, [...devNodeFlags(readFileSync(MAKEFILE, 'utf8')), MAIN], {
    env: { ...process.env, PORT: '0', DATA_DIR: dataDir, SAMPLE_TRAFFIC_RATE: '0', LOG_LEVEL: 'warn' },
    stdio: ['ignore', 'pipe', 'inherit'],
  });
  for await (const line of createInterface({ input: child.stdout! })) {
    const match = /Dashboard\s+(http:\/\/127\.0\.0\.1:\d+)\//.exec(line);
    if (match) return { child, url: match[1]! };
  }
  throw new Error('the embedded process exited before printing its URL');
}

async function stop(child: ChildProcess): Promise<number | null> {
  child.kill('SIGTERM');
  const [code] = await once(child, 'exit');
  return code as number | null;
}

test('records acknowledged before a shutdown are there after a restart on the same data directory', async () => {
  const dataDir = mkdtempSync(join(tmpdir(), 'idl-dev-'));
  const first = await start(dataDir);
  try {
    // As a browser asks: without text/html, "/" answers Elasticsearch clients probing the cluster.
    const page = await (await fetch(`${first.url}/`, { headers: { accept: 'text/html' } })).text();
    assert.match(page, /Instant Dev Logs/);
    const ingest = await fetch(`${first.url}/api/v1/logs`, {
      method: 'POST',
      headers: { 'content-type': 'application/x-ndjson' },
      body: Array.from({ length: 50 }, (_, i) => JSON.stringify({ service: 'restart', message: `kept ${i}` })).join(
        '\n',
      ),
    });
    assert.equal(ingest.status, 202);
    assert.equal(IngestResponse.parse(await ingest.json()).accepted, 50);
  } catch (err) {
    first.child.kill('SIGKILL');
    throw err;
  }
  assert.equal(await stop(first.child), 0);

  const second = await start(dataDir);
  try {
    const res = await fetch(`${second.url}/api/v1/logs?from=now-1h&service=restart&limit=100`);
    assert.equal(LogPage.parse(await res.json()).records.length, 50);
  } finally {
    assert.equal(await stop(second.child), 0);
  }
});
