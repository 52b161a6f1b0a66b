import { PIPELINE_LABEL } from './desired/index.ts';
import type { KubeClient, KubeObject } from './kube/client.ts';
import { keyOf, startInformer, type Informer } from './kube/informer.ts';
import { RESOURCES, servedType, type ResourceType } from './kube/resources.ts';
import type { OperatorMetrics } from './metrics.ts';
import { reconcile, type ReconcileDeps } from './reconcile.ts';
import { createWorkQueue } from './work-queue.ts';

export interface ControllerOptions {
  client: KubeClient;
  metrics: OperatorMetrics;
  /** Watch one namespace, or all when undefined. */
  namespace?: string;
  workers: number;
  /** Every pipeline is reconciled at least this often, whatever the watches say. */
  resyncMs: number;
  backoff: { baseMs: number; maxMs: number };
  now?: () => string;
  newPassword?: () => string;
  log: { info(obj: object, msg: string): void; error(obj: object, msg: string): void };
}

export interface Controller {
  /** Stops taking new work, stops watching and waits for reconciles in progress. For good: start another. */
  stop(): Promise<void>;
  /** Resolves once every informer has loaded its first list. */
  synced(): Promise<void>;
  /** Whether its informers and workers all still run; false once stopped or after a fault. */
  healthy(): boolean;
}

// Changes to these re-enqueue the LogPipeline named in their pipeline label.
const WATCHED_CHILDREN: readonly ResourceType[] = [RESOURCES.Deployment, RESOURCES.StatefulSet, RESOURCES.Job, RESOURCES.Service, RESOURCES.ConfigMap, RESOURCES.Secret];
const OPTIONAL_CHILDREN: readonly ResourceType[] = [RESOURCES.KafkaTopic, RESOURCES.ScaledObject];

/**
 * Informers on LogPipelines and the objects they own feed a keyed work queue; workers reconcile
 * one pipeline at a time each, with per-key backoff on failure and a periodic resync. One
 * controller serves one term of leadership: its first list queues every pipeline.
 */
export async function startController(options: ControllerOptions): Promise<Controller> {
  const { client, metrics, log } = options;
  const queue = createWorkQueue(options.backoff);
  const enqueue = (key: string) => {
    queue.add(key);
    metrics.queueDepth.set(queue.depth());
  };
  const informers: Informer[] = [];
  const watch = (type: ResourceType, onChange: (obj: KubeObject) => void, labelSelector?: string) =>
    informers.push(
      startInformer(client, type, {
        ...(options.namespace ? { namespace: options.namespace } : {}),
        ...(labelSelector ? { labelSelector } : {}),
        onChange,
        onError: (err) => {
          metrics.watchRestarts.inc({ kind: type.kind });
          log.error({ err: String(err), kind: type.kind }, 'Restarting a watch after an error');
        },
      }),
    );

  // Discovery first: if it fails, no informer has been started to leak.
  const children = [...WATCHED_CHILDREN];
  for (const type of OPTIONAL_CHILDREN) {
    const served = await servedType(type, (t) => client.serves(t));
    if (served) children.push(served);
  }
  watch(RESOURCES.LogPipeline, (obj) => enqueue(keyOf(obj)));
  for (const type of children) {
    watch(type, (obj) => {
      const owner = obj.metadata.labels?.[PIPELINE_LABEL];
      if (owner && obj.metadata.namespace) enqueue(`${obj.metadata.namespace}/${owner}`);
    }, PIPELINE_LABEL);
  }
  const pipelines = informers[0]!;

  const deps: ReconcileDeps = { client, now: options.now ?? (() => new Date().toISOString()), ...(options.newPassword ? { newPassword: options.newPassword } : {}) };
  const timers = new Set<NodeJS.Timeout>();
  let stopped = false;
  let workersAlive = 0;

  const worker = async () => {
    for (;;) {
      const key = await queue.next();
      if (key === undefined) return;
      metrics.queueDepth.set(queue.depth());
      const [namespace, name] = key.split('/') as [string, string];
      const end = metrics.duration.startTimer();
      try {
        const result = await reconcile(deps, namespace, name);
        queue.forget(key);
        metrics.reconciles.inc({ result: 'success' });
        if (result.changed.length > 0) log.info({ pipeline: key, changed: result.changed }, 'Reconciled the LogPipeline');
        if (result.requeueAfterMs) {
          const timer = setTimeout(() => (timers.delete(timer), enqueue(key)), result.requeueAfterMs);
          timers.add(timer);
        }
      } catch (err) {
        metrics.reconciles.inc({ result: 'error' });
        const delay = queue.addAfterFailure(key);
        log.error({ pipeline: key, err: String(err), retryInMs: delay }, 'Failed to reconcile the LogPipeline');
      } finally {
        end();
        queue.done(key);
      }
    }
  };

  const running = Array.from({ length: options.workers }, () => {
    workersAlive++;
    return worker()
      .catch((err) => log.error({ err: String(err) }, 'A reconcile worker failed'))
      .finally(() => workersAlive--);
  });
  const resync = setInterval(() => pipelines.keys().forEach(enqueue), options.resyncMs);

  return {
    synced: async () => {
      await Promise.all(informers.map((i) => i.synced()));
    },
    healthy: () => !stopped && workersAlive === options.workers && informers.every((i) => i.running()),
    async stop() {
      stopped = true;
      clearInterval(resync);
      for (const t of timers) clearTimeout(t);
      queue.shutdown();
      for (const i of informers) i.stop();
      await Promise.all(running);
    },
  };
}
