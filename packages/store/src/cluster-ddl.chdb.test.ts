import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';
import { LOGS_SHARDING_KEY } from './cluster.ts';
import { schemaStatements } from './migrations.ts';
import { openChdbForTest, type OpenedTransport } from './transport-contract.ts';

// libchdb cannot run ReplicatedMergeTree or ON CLUSTER (no Keeper, no distributed DDL queue): the
// replicated schema is checked here by ClickHouse's own parser, not run. The sharded schema runs in
// sharding.cluster.test.ts.
const DB = 'logs_db';
const replicated = schemaStatements(DB, { name: 'logs', replicated: true });

let opened: OpenedTransport;
before(async () => (opened = await openChdbForTest('cluster-ddl-')));
after(() => opened.close());

test('every statement of the replicated schema parses as ClickHouse SQL', async () => {
  assert.ok(replicated.length > 10);
  for (const sql of replicated) {
    const [row] = await opened.transport.query<{ q: string }>(`SELECT formatQuery({sql:String}) AS q`, { sql });
    assert.ok(row?.q, `formatQuery returned nothing for ${sql}`);
    await opened.transport.query(`EXPLAIN AST ${sql}`);
  }
});

test('every statement of the replicated schema goes to the whole cluster (ON CLUSTER)', () => {
  const ddl = replicated.filter((s) => /^\s*(CREATE|ALTER)/.test(s));
  assert.equal(ddl.length, replicated.length, 'only schema changes: the backfill bookkeeping is one server’s');
  for (const sql of ddl) assert.match(sql, /ON CLUSTER logs\b/, sql);
});

test('stored tables are ReplicatedMergeTree with one Keeper path per shard and table, named by macros', () => {
  const engines = replicated.flatMap((s) =>
    [...s.matchAll(/ENGINE = (Replicated\w+\('[^']*', '[^']*'(?:, \w+)?\))/g)].map((m) => m[1]),
  );
  assert.deepEqual(engines, [
    `ReplicatedMergeTree('/clickhouse/tables/{shard}/${DB}/logs_local', '{replica}')`,
    `ReplicatedAggregatingMergeTree('/clickhouse/tables/{shard}/${DB}/logs_per_minute_local', '{replica}')`,
    `ReplicatedMergeTree('/clickhouse/tables/{shard}/${DB}/logs_per_minute_stale_local', '{replica}')`,
    `ReplicatedReplacingMergeTree('/clickhouse/tables/{shard}/${DB}/saved_objects_local', '{replica}', version)`,
    `ReplicatedReplacingMergeTree('/clickhouse/tables/{shard}/${DB}/alert_state_local', '{replica}', version)`,
    `ReplicatedMergeTree('/clickhouse/tables/{shard}/${DB}/alert_history_local', '{replica}')`,
    `ReplicatedReplacingMergeTree('/clickhouse/tables/{shard}/${DB}/alert_lease_local', '{replica}', version)`,
    `ReplicatedMergeTree('/clickhouse/tables/{shard}/${DB}/idempotency_keys_local', '{replica}')`,
  ]);
  assert.ok(
    !replicated.some((s) => /ENGINE = (Aggregating|Replacing)?MergeTree\b/.test(s)),
    'no unreplicated stored table',
  );
});

test('reads and writes go through Distributed tables; the logs are sharded by tenant and id', () => {
  const distributed = replicated.flatMap((s) => [...s.matchAll(/Distributed\(([^)]*\)?)\)/g)].map((m) => m[1]));
  assert.deepEqual(distributed, [
    `logs, ${DB}, logs_local, ${LOGS_SHARDING_KEY}`,
    `logs, ${DB}, logs_per_minute_local, rand()`,
    `logs, ${DB}, logs_per_minute_stale_local, rand()`,
    // Every version of a saved object, a rule's state or a lease on one shard, so FINAL works shard by shard.
    `logs, ${DB}, saved_objects_local, cityHash64(tenant, kind, id)`,
    `logs, ${DB}, alert_state_local, cityHash64(tenant, rule_id)`,
    `logs, ${DB}, alert_history_local, cityHash64(tenant, rule_id)`,
    `logs, ${DB}, alert_lease_local, cityHash64(name)`,
    // Every part of one Idempotency-Key on one shard.
    `logs, ${DB}, idempotency_keys_local, cityHash64(tenant, key)`,
  ]);
  // The rollup's view sits on each shard's logs, so inserts through the Distributed table reach it.
  assert.ok(
    replicated.some((s) =>
      /MATERIALIZED VIEW .* TO logs_db\.logs_per_minute_local AS[\s\S]*FROM logs_db\.logs_local/.test(s),
    ),
  );
});

test('without a cluster the schema is the one-server schema: no local, Distributed or replicated tables', () => {
  const single = schemaStatements(DB, undefined);
  for (const sql of single) assert.doesNotMatch(sql, /_local\b|ON CLUSTER|Distributed|Replicated/, sql);
  assert.ok(single.some((s) => s.includes(`CREATE TABLE IF NOT EXISTS ${DB}.logs (`)));
});

test('a cluster with its servers listed runs the same statements on each, without ON CLUSTER', () => {
  const eachNode = schemaStatements(DB, { name: 'logs', nodes: [] });
  assert.equal(eachNode.length, replicated.length);
  for (const sql of eachNode) assert.doesNotMatch(sql, /ON CLUSTER|Replicated/, sql);
});
