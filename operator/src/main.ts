import { KubeConfig } from '@kubernetes/client-node';
import { collectDefaultMetrics, Registry } from 'prom-client';
import { parseEnv, stopOnSignals } from '@instant-logs/service-kit';
import { buildApp } from './app.ts';
import { OperatorConfig } from './config.ts';
import { startOperator } from './operator.ts';

const config = parseEnv(OperatorConfig, process.env);
const kubeConfig = new KubeConfig();
kubeConfig.loadFromDefault(); // in a pod: the ServiceAccount token; elsewhere: ~/.kube/config or KUBECONFIG
const registry = new Registry();
collectDefaultMetrics({ register: registry });
let synced = false;
const app = buildApp({ registry, ready: async () => synced, logger: { level: config.LOG_LEVEL } });
const operator = await startOperator({
  kubeConfig,
  registry,
  ...(config.WATCH_NAMESPACE ? { namespace: config.WATCH_NAMESPACE } : {}),
  ...(config.LEADER_ELECTION ? { leaseNamespace: config.POD_NAMESPACE } : {}),
  ...(config.POD_NAME ? { identity: config.POD_NAME } : {}),
  workers: config.WORKERS,
  resyncMs: config.RESYNC_SECONDS * 1000,
  log: app.log,
});
void operator.synced().then(() => (synced = true));
await app.listen({ host: config.HOST, port: config.PORT });

stopOnSignals(app.log, 'Shutting down: finishing reconciles in progress and releasing the lease', async () => {
  await operator.stop();
  await app.close();
});
