import { KubeConfig } from '@kubernetes/client-node';
import { collectDefaultMetrics, Registry } from 'prom-client';
import { parseEnv, stopOnSignals } from '@instant-logs/service-kit';
import { buildApp } from './app.ts';
import { OperatorConfig } from './config.ts';
import { startOperator, type Operator } from './operator.ts';

const config = parseEnv(OperatorConfig, process.env);
const kubeConfig = new KubeConfig();
kubeConfig.loadFromDefault(); // in a pod: the ServiceAccount token; elsewhere: ~/.kube/config or KUBECONFIG
const registry = new Registry();
collectDefaultMetrics({ register: registry });
// eslint-disable-next-line prefer-const -- the probes read it before it is assigned, once the app is up
let operator: Operator | undefined;
const probes = { live: () => operator?.healthy() ?? true, ready: () => operator?.ready() ?? false };
const app = buildApp({ registry, probes, logger: { level: config.LOG_LEVEL } });
operator = await startOperator({
  kubeConfig,
  registry,
  ...(config.WATCH_NAMESPACE ? { namespace: config.WATCH_NAMESPACE } : {}),
  ...(config.LEADER_ELECTION ? { leaseNamespace: config.POD_NAMESPACE } : {}),
  ...(config.POD_NAME ? { identity: config.POD_NAME } : {}),
  workers: config.WORKERS,
  resyncMs: config.RESYNC_SECONDS * 1000,
  leaseDurationSeconds: config.LEASE_DURATION_SECONDS,
  log: app.log,
});
await app.listen({ host: config.HOST, port: config.PORT });

stopOnSignals(app.log, 'Shutting down: finishing reconciles in progress and releasing the lease', async () => {
  await operator?.stop();
  await app.close();
});
