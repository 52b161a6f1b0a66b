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
 * List, then watch from the list's resourceVersion. A watch the server ends on time is resumed from
 * the last version seen; when it fails (a 410 Gone, a dropped connection, an API server restart) the
 * informer lists again after a backoff and carries on. Objects that vanished while it was away are
 * reported as deleted.
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
      if (before?.metadata.resourceVersion !== item.metadata.resourceVersion)
        options.onChange(item, before ? 'MODIFIED' : 'ADDED');
    }
    for (const [key, obj] of cache) {
      if (seen.has(key)) continue;
      cache.delete(key);
      options.onChange(obj, 'DELETED');
    }
    // Before anyone woken by onChange runs: a cache read for what it was told about must find it here.
    markSynced();
    return resourceVersion;
  };

  const run = async () => {
    // Undefined: list first. A watch the server ended on time resumes from the last version seen;
    // after a failure or a 410 Gone (that version is too old) the informer lists again.
    let resourceVersion: string | undefined;
    for (let failures = 0; !stop.signal.aborted;) {
      try {
        resourceVersion ??= await relist();
        failures = 0;
        let expired = false;
        const ended = new Promise<unknown>((resolve) => {
          void client
            .watch(
              type,
              options.namespace,
              resourceVersion,
              (event, obj) => {
                if (event === 'ERROR') {
                  expired = true;
                  return;
                }
                resourceVersion = obj.metadata.resourceVersion ?? resourceVersion;
                if (event === 'BOOKMARK') return;
                const key = keyOf(obj);
                if (event === 'DELETED') cache.delete(key);
                else cache.set(key, obj);
                options.onChange(obj, event as 'ADDED' | 'MODIFIED' | 'DELETED');
              },
              resolve,
              options.labelSelector,
            )
            .then((controller) => {
              watch = controller;
              if (stop.signal.aborted) controller.abort();
            }, resolve);
        });
        const err = await ended;
        if (expired) resourceVersion = undefined;
        if (err && !stop.signal.aborted) {
          resourceVersion = undefined;
          throw err;
        }
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
