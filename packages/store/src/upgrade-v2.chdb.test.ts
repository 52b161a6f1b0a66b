import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { after, before, test } from 'node:test';
import { parseQuery } from '@instant-logs/query-language';
import { createChdbTransport } from './chdb-transport.ts';
import { createLogStore, type LogFilter } from './log-store.ts';
import type { ClickHouseTransport } from './transport.ts';

// A data directory as schema version 2 left it: written by another process (migrate stopped at 2,
// then 2,000 records with words, numbers and one-off request ids, merged so the text index is
// built as in a store that has run a while), closed, then opened here. chdb opens one directory
// per process, hence a file of its own beside upgrade.chdb.test.ts.
const WRITER = `
import { newRecordId } from '@instant-logs/schema';
import { createChdbTransport } from './chdb-transport.ts';
import { createLogStore } from './log-store.ts';
import { migrate } from './migrations.ts';
const t = createChdbTransport({ path: process.argv[1] });
await migrate(t, 'app', 2);
const start = Date.now() - 3_600_000;
const rows = Array.from({ length: 2000 }, (_, i) => JSON.stringify({ id: newRecordId(start + i * 1_000), tenant: 'shop',
  service: ['api', 'web'][i % 2], level: i % 5 === 0 ? 'error' : 'info', timestamp: new Date(start + i * 1_000).toISOString(),
  body: (i % 400 === 3 ? 'circuit breaker open, ' : i % 2 ? 'GET /cart completed, ' : 'cart queued, ') + 'request req' + i + 'x' }));
await createLogStore(t, 'app').insert(rows.join('\\n'));
await t.command('OPTIMIZE TABLE app.logs FINAL');
await t.close();
`;

let dir: string;
let transport: ClickHouseTransport;

before(async () => {
  dir = await mkdtemp(join(tmpdir(), 'upgrade-v2-chdb-'));
  await promisify(execFile)(process.execPath, ['--input-type=module', '--eval', WRITER, dir], {
    cwd: import.meta.dirname,
  });
  transport = createChdbTransport({ path: dir });
});
after(async () => {
  await transport?.close();
  await rm(dir, { recursive: true, force: true });
});

test('a data directory written by schema version 2 is upgraded in place to the split text index, every record and answer kept', async () => {
  const store = createLogStore(transport, 'app');
  const indexes = async () =>
    (
      await transport.query<{ name: string }>(
        `SELECT name FROM system.data_skipping_indices WHERE database = 'app' AND table = 'logs' ORDER BY name`,
      )
    ).map((i) => i.name);
  assert.ok((await indexes()).includes('idx_body'));
  const now = BigInt(Date.now()) * 1_000_000n;
  const f = (q: string): LogFilter => ({
    tenant: 'shop',
    fromNs: now - 7_200_000_000_000n,
    toNs: now,
    services: [],
    levels: [],
    query: parseQuery(q),
  });
  const queries = ['breaker', 'completed', 'req1234x', '"cart queued"', 'complet*', 'level:error -completed'];
  const ask = () => Promise.all(queries.map(async (q) => (await store.search(f(q), { limit: 1000 })).records));
  const answers = await ask();
  assert.deepEqual(
    answers.map((r) => r.length),
    [5, 995, 1, 1000, 995, 200],
  );

  assert.deepEqual((await store.migrate()).applied, [3, 4, 5, 6, 7]);
  assert.equal(await store.count('shop'), 2000);
  assert.deepEqual(await ask(), answers);
  // The new indexes are built by background mutations; once they are done the answers are the same.
  const deadline = Date.now() + 60_000;
  const pending = async () =>
    Number(
      (
        await transport.query<{ n: string }>(
          `SELECT count() AS n FROM system.mutations WHERE database = 'app' AND NOT is_done`,
        )
      )[0]?.n,
    );
  while ((await pending()) > 0) assert.ok(Date.now() < deadline, 'the index mutations did not finish in 60 s');
  assert.deepEqual(await indexes(), [
    'idx_attribute_keys',
    'idx_attribute_values',
    'idx_body_tokens',
    'idx_resource_keys',
    'idx_resource_values',
    'idx_trace_id',
    'idx_words',
  ]);
  assert.equal(await store.count('shop'), 2000);
  assert.deepEqual(await ask(), answers);
});
