import { parseEnv } from '@instant-logs/service-kit';
import { connectClickHouse } from '@instant-logs/store';
import { SetupConfig } from './config.ts';
import { runSetup } from './setup.ts';

// Runs as a Kubernetes Job before the pipeline starts and after upgrades; exits non-zero so the Job retries.
const config = parseEnv(SetupConfig, process.env);
const clickhouse = connectClickHouse(config);
try {
  const result = await runSetup(clickhouse.store, config);
  console.log(JSON.stringify({ level: 'info', msg: 'Set up the pipeline storage', ...result }));
} catch (err) {
  console.error(JSON.stringify({ level: 'error', msg: 'Setup failed', error: (err as Error).message }));
  process.exitCode = 1;
} finally {
  await clickhouse.close();
}
