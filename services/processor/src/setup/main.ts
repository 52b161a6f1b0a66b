import { parseEnv } from '@instant-logs/service-kit';
import { createHttpTransport, createLogStore, openClusterTopology } from '@instant-logs/store';
import { SetupConfig } from './config.ts';
import { runSetup } from './setup.ts';

// Runs as a Kubernetes Job before the pipeline starts and after upgrades; exits non-zero so the Job retries.
const config = parseEnv(SetupConfig, process.env);
const transport = createHttpTransport({
  url: config.CLICKHOUSE_URL,
  username: config.CLICKHOUSE_USER,
  password: config.CLICKHOUSE_PASSWORD,
});
// A cluster's schema changes and deletes reach its servers through these (see ClusterTopology).
const cluster = openClusterTopology(
  {
    name: config.CLICKHOUSE_CLUSTER,
    replicated: config.CLICKHOUSE_CLUSTER_REPLICATED,
    nodeUrls: config.CLICKHOUSE_CLUSTER_NODES,
  },
  (url) => createHttpTransport({ url, username: config.CLICKHOUSE_USER, password: config.CLICKHOUSE_PASSWORD }),
);
try {
  const store = createLogStore(transport, config.CLICKHOUSE_DATABASE, { cluster: cluster.topology });
  const result = await runSetup(store, config);
  console.log(JSON.stringify({ level: 'info', msg: 'Set up the pipeline storage', ...result }));
} catch (err) {
  console.error(JSON.stringify({ level: 'error', msg: 'Setup failed', error: (err as Error).message }));
  process.exitCode = 1;
} finally {
  await transport.close();
  await cluster.close();
}
