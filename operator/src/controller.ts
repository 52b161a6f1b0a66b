import { startCache } from './cache.ts';
import type { KubeClient } from './kube/client.ts';
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
  // Every owned kind is watched, so a deleted or edited PDB, NetworkPolicy or Secret is put back
  // at once rather than on the next resync.
  const cache = await startCache(client, {
    ...(options.namespace ? { namespace: options.namespace } : {}),
    onChange: enqueue,
    onError: (kind, err) => {
      metrics.watchRestarts.inc({ kind });
      log.error({ err: String(err), kind }, 'Restarting a watch after an error');
    },
  });

  const deps: ReconcileDeps = {
    client,
    reader: cache,
    now: options.now ?? (() => new Date().toISOString()),
    ...(options.newPassword ? { newPassword: options.newPassword } : {}),
  };
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
        if (result.changed.length > 0)
          log.info({ pipeline: key, changed: result.changed }, 'Reconciled the LogPipeline');
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
  // A CRD installed since the last look (KEDA, Strimzi) is found on the resync, which then reconciles everything.
  const resync = setInterval(() => {
    cache
      .rediscover()
      .catch((err) => log.error({ err: String(err) }, 'Failed to discover the optional kinds; keeping the last answer'))
      .finally(() => cache.pipelineKeys().forEach(enqueue));
  }, options.resyncMs);

  return {
    synced: () => cache.synced(),
    healthy: () => !stopped && workersAlive === options.workers && cache.healthy(),
    async stop() {
      stopped = true;
      clearInterval(resync);
      for (const t of timers) clearTimeout(t);
      queue.shutdown();
      cache.stop();
      await Promise.all(running);
    },
  };
}
