import assert from 'node:assert/strict';
import { test } from 'node:test';
import { z } from 'zod';
import { ClickHouseClusterEnv } from './clickhouse-cluster-env.ts';

const schema = z.object(ClickHouseClusterEnv);

test('without CLICKHOUSE_CLUSTER the store is one server', () => {
  assert.deepEqual(schema.parse({}), { CLICKHOUSE_CLUSTER_REPLICATED: false });
});

test('a cluster with its servers listed parses into a name, a flag and URLs', () => {
  assert.deepEqual(
    schema.parse({
      CLICKHOUSE_CLUSTER: 'logs',
      CLICKHOUSE_CLUSTER_REPLICATED: 'true',
      CLICKHOUSE_CLUSTER_NODES: 'http://a:8123, http://b:8123',
    }),
    {
      CLICKHOUSE_CLUSTER: 'logs',
      CLICKHOUSE_CLUSTER_REPLICATED: true,
      CLICKHOUSE_CLUSTER_NODES: ['http://a:8123', 'http://b:8123'],
    },
  );
});

test('a cluster name that is not an identifier, or a node that is not a URL, is refused naming the variable', () => {
  const bad = schema.safeParse({ CLICKHOUSE_CLUSTER: 'logs; DROP', CLICKHOUSE_CLUSTER_NODES: 'a:8123' });
  assert.equal(bad.success, false);
  const paths = bad.error?.issues.map((i) => String(i.path[0])).sort();
  assert.deepEqual(paths, ['CLICKHOUSE_CLUSTER', 'CLICKHOUSE_CLUSTER_NODES']);
});
