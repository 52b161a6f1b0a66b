import { setTimeout as delay } from 'node:timers/promises';
import type { KubeClient, KubeObject } from './client.ts';
import type { ResourceType } from './resources.ts';

export interface Informer {
  /** The last known state of each object, by namespace/name. */
  get(key: string): KubeObject | undefined;
  keys(): string[];
  /** Every cached object. */
  list(): KubeObject[];
  /** Whether the first full list has been loaded. */
  hasSynced(): boolean;
  /** Resolves after the first full list has been loaded. */
  synced(): Promise<void>;
  /** False once it has stopped, by stop() or by a fault it could not recover from. */
  running(): boolean;
  stop(): void;
}

export interface InformerOptions {
  namespace?: string;
  labelSelector?: string;
  /** Called for every add, update and delete (and for each object after a relist). */
  onChange: (obj: KubeObject, event: 'ADDED' | 'MODIFIED' | 'DELETED') => void;
  /** Told about failures it recovers from, for logs and metrics. */
  onError?: (err: unknown) => void;
  backoff?: { initialMs: number; maxMs: number };
}

/** Pure: the cache key of an object. */
export function keyOf(obj: { metadata: { name: string; namespace?: string } }): string {
  return obj.metadata.namespace ? `${obj.metadata.namespace}/${obj.metadata.name}` : obj.metadata.name;
}

/**
 * List, then watch from the list's resourceVersion; when the watch ends or fails (a 410 Gone, a
 * dropped connection, an API server restart) list again after a backoff and carry on. Objects that
 * vanished while it was away are reported as deleted.
 */
export function startInformer(client: KubeClient, type: ResourceType, options: InformerOptions): Informer {
  const cache = new Map<string, KubeObject>();
  const backoff = options.backoff ?? { initialMs: 200, maxMs: 30_000 };
  const stop = new AbortController();
  let isSynced = false;
  let markSynced!: () => void;
  const synced = new Promise<void>((resolve) => (markSynced = () => ((isSynced = true), resolve())));
  let watch: AbortController | undefined;

  const relist = async (): Promise<string> => {
    const { items, resourceVersion } = await client.listVersion(type, options.namespace, options.labelSelector);
    const seen = new Set<string>();
    for (const item of items) {
      const key = keyOf(item);
      seen.add(key);
      const before = cache.get(key);
      cache.set(key, item);
      if (before?.metadata.resourceVersion !== item.metadata.resourceVersion) options.onChange(item, before ? 'MODIFIED' : 'ADDED');
    }
    for (const [key, obj] of cache) {
      if (seen.has(key)) continue;
      cache.delete(key);
      options.onChange(obj, 'DELETED');
    }
    return resourceVersion;
  };

  const run = async () => {
    for (let failures = 0; !stop.signal.aborted; ) {
      try {
        let resourceVersion = await relist();
        markSynced();
        failures = 0;
        // Each watch lasts until the server or the network ends it; then list again.
        const ended = new Promise<unknown>((resolve) => {
          void client
            .watch(type, options.namespace, resourceVersion, (event, obj) => {
              if (event === 'BOOKMARK') {
                resourceVersion = obj.metadata.resourceVersion ?? resourceVersion;
                return;
              }
              if (event === 'ERROR') return;
              const key = keyOf(obj);
              if (event === 'DELETED') cache.delete(key);
              else cache.set(key, obj);
              options.onChange(obj, event as 'ADDED' | 'MODIFIED' | 'DELETED');
            }, resolve, options.labelSelector)
            .then((controller) => {
              watch = controller;
              if (stop.signal.aborted) controller.abort();
            }, resolve);
        });
        const err = await ended;
        if (err && !stop.signal.aborted) throw err;
      } catch (err) {
        if (stop.signal.aborted) return;
        options.onError?.(err);
        failures++;
        const wait = Math.min(backoff.maxMs, backoff.initialMs * 2 ** Math.min(failures - 1, 20));
        await delay(wait, undefined, { signal: stop.signal }).catch(() => undefined);
      }
    }
  };
  let ended = false;
  void run()
    .catch((err) => options.onError?.(err))
    .finally(() => (ended = true));

  return {
    get: (key) => cache.get(key),
    keys: () => [...cache.keys()],
    list: () => [...cache.values()],
    hasSynced: () => isSynced,
    synced: () => synced,
    running: () => !ended,
    stop() {
      stop.abort();
      watch?.abort();
    },
  };
}
