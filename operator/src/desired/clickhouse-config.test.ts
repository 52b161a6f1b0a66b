import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';
import { startClickHouseServer, type ClickHouseServer } from '@instant-logs/testbed';
import { SERVER_CONFIG, SERVER_TUNING } from './clickhouse-config.ts';

// The managed server's own settings, given to a real server: one it does not know would be ignored silently.
let server: ClickHouseServer;
before(async () => {
  server = await startClickHouseServer({ configXml: SERVER_TUNING });
});
after(() => server.stop());

test('the managed server keeps 256 MiB of skip-index blocks in memory', async () => {
  assert.ok(SERVER_CONFIG.includes(SERVER_TUNING));
  const query = `SELECT value FROM system.server_settings WHERE name = 'index_uncompressed_cache_size' FORMAT TSV`;
  const res = await fetch(`${server.url}/?query=${encodeURIComponent(query)}`);
  assert.equal(res.status, 200);
  assert.equal(Number((await res.text()).trim()), 256 * 1024 * 1024);
});
