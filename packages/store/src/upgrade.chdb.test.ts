import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { after, before, test } from 'node:test';
import { createChdbTransport } from './chdb-transport.ts';
import { createLogStore, type LogFilter } from './log-store.ts';
import { ROLLUP_TABLE } from './migrations.ts';
import type { ClickHouseTransport } from './transport.ts';

// A data directory as an embedded process on schema version 1 left it: written by another
// process (migrate stopped at version 1, then 600 records over the last hour), closed, then opened here.
const WRITER = `
import { createChdbTransport } from './chdb-transport.ts';
import { createLogStore } from './log-store.ts';
import { migrate } from './migrations.ts';
const t = createChdbTransport({ path: process.argv[1] });
await migrate(t, 'app', 1);
const start = Date.now() - 3_600_000;
const rows = Array.from({ length: 600 }, (_, i) => JSON.stringify({ id: 'v1-' + i, tenant: 'shop', service: ['api', 'web'][i % 2],
  level: ['info', 'error'][i % 3 === 0 ? 1 : 0], timestamp: new Date(start + i * 5_913).toISOString(), body: 'request ' + i }));
await createLogStore(t, 'app').insert(rows.join('\\n'));
await t.close();
`;

let dir: string;
let transport: ClickHouseTransport;

before(async () => {
  dir = await mkdtemp(join(tmpdir(), 'upgrade-chdb-'));
  await promisify(execFile)(process.execPath, ['--input-type=module', '--eval', WRITER, dir], {
    cwd: import.meta.dirname,
  });
  transport = createChdbTransport({ path: dir });
});
after(async () => {
  await transport?.close();
  await rm(dir, { recursive: true, force: true });
});

test('a data directory written by schema version 1 is upgraded in place, its rollup backfilled and its histograms unchanged', async () => {
  const store = createLogStore(transport, 'app');
  const before = await transport.query<{ name: string }>(
    `SELECT name FROM system.tables WHERE database = 'app' ORDER BY name`,
  );
  assert.deepEqual(
    before.map((t) => t.name),
    ['logs', 'schema_migrations'],
  );
  assert.equal(await store.count('shop'), 600);

  assert.deepEqual((await store.migrate()).applied, [2, 3, 4, 5, 6, 7]);
  const [keys] = await transport.query<{ n: string }>(
    `SELECT count() AS n FROM system.tables WHERE database = 'app' AND name = 'idempotency_keys'`,
  );
  assert.equal(Number(keys?.n), 1, 'the table of Idempotency-Keys stored from Kafka is created');
  const [rollup] = await transport.query<{ n: string }>(
    `SELECT sum(records) AS n FROM app.${ROLLUP_TABLE} WHERE backfilled = 1`,
  );
  assert.equal(Number(rollup?.n), 600);
  const now = BigInt(Date.now()) * 1_000_000n;
  const f: LogFilter = {
    tenant: 'shop',
    fromNs: now - 7_200_000_000_000n + 17n,
    toNs: now,
    services: [],
    levels: [],
    query: null,
  };
  for (const g of [f, { ...f, services: ['web'] }, { ...f, levels: ['error'] }]) {
    const fromRollup = await store.histogram(g, 12);
    assert.equal(fromRollup.interval_ms, 600_000);
    assert.deepEqual(fromRollup, await store.histogram(g, 12, { source: 'logs' }));
  }
  const total = (await store.histogram(f, 12)).buckets.reduce(
    (n, b) => n + Object.values(b.counts).reduce((a, c) => a + c, 0),
    0,
  );
  assert.equal(total, 600);
});
