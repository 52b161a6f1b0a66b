import { PIPELINE_LABEL } from './desired/index.ts';
import type { KubeClient, KubeObject } from './kube/client.ts';
import { keyOf, startInformer, type Informer } from './kube/informer.ts';
import { RESOURCES, servedType, type ResourceType } from './kube/resources.ts';

/** Kinds desired() can emit: the reconciler reads them by the pipeline label and prunes what it no longer wants. */
export const OWNED_KINDS: readonly ResourceType[] = [
  RESOURCES.Deployment,
  RESOURCES.StatefulSet,
  RESOURCES.Service,
  RESOURCES.ConfigMap,
  RESOURCES.Secret,
  RESOURCES.PodDisruptionBudget,
  RESOURCES.HorizontalPodAutoscaler,
  RESOURCES.NetworkPolicy,
  RESOURCES.Job,
  RESOURCES.KafkaTopic,
  RESOURCES.ScaledObject,
  RESOURCES.ServiceMonitor,
];
/** Owned kinds whose CRDs may be absent; each is used at the version the cluster serves. */
export const OPTIONAL_KINDS: ReadonlySet<ResourceType> = new Set([
  RESOURCES.KafkaTopic,
  RESOURCES.ScaledObject,
  RESOURCES.ServiceMonitor,
]);

/** What a reconcile reads: the informer caches in the controller, the API server itself in one-shot runs and tests. */
export interface Reader {
  pipeline<T extends KubeObject>(namespace: string, name: string): Promise<T | undefined>;
  /** The objects of one kind labelled as belonging to the pipeline (owned or not: the caller checks). */
  labelled(type: ResourceType, namespace: string, pipeline: string): Promise<KubeObject[]>;
  /** An optional kind at the version the cluster serves, or undefined; any other kind as it is. */
  served(type: ResourceType): Promise<ResourceType | undefined>;
}

/** A Reader that asks the API server every time. */
export function liveReader(client: KubeClient): Reader {
  return {
    pipeline: (namespace, name) => client.get(RESOURCES.LogPipeline, namespace, name),
    labelled: (type, namespace, pipeline) => client.list(type, namespace, `${PIPELINE_LABEL}=${pipeline}`),
    served: (type) => (OPTIONAL_KINDS.has(type) ? servedType(type, (t) => client.serves(t)) : Promise.resolve(type)),
  };
}

export interface CacheOptions {
  /** Watch one namespace, or all when undefined. */
  namespace?: string;
  /** A LogPipeline (namespace/name) whose object or owned object changed. */
  onChange: (key: string) => void;
  onError: (kind: string, err: unknown) => void;
}

/** Informers on LogPipelines and on every owned kind, read as a Reader. */
export interface Cache extends Reader {
  /** Resolves once every informer has loaded its first list. */
  synced(): Promise<void>;
  /** False once an informer has stopped for good. */
  healthy(): boolean;
  /** The namespace/name of every LogPipeline. */
  pipelineKeys(): string[];
  /** Asks the API server again which optional kinds it serves, and watches those newly installed. */
  rediscover(): Promise<void>;
  stop(): void;
}

/**
 * Watches LogPipelines, and the owned kinds with the pipeline label as selector, so the operator
 * caches its own objects and nothing else. Objects it does not label (the user's Secrets) are read
 * from the API server by the reconciler. Discovery runs at start and on rediscover(), not per reconcile.
 */
export async function startCache(client: KubeClient, options: CacheOptions): Promise<Cache> {
  const informers = new Map<string, { type: ResourceType; informer: Informer }>();
  const scope = options.namespace ? { namespace: options.namespace } : {};
  const watch = (type: ResourceType, labelSelector: string | undefined, onChange: (obj: KubeObject) => void) => {
    const informer = startInformer(client, type, {
      ...scope,
      ...(labelSelector ? { labelSelector } : {}),
      onChange,
      onError: (err) => options.onError(type.kind, err),
    });
    informers.set(type.kind, { type, informer });
  };
  const onOwned = (obj: KubeObject) => {
    const owner = obj.metadata.labels?.[PIPELINE_LABEL];
    if (owner && obj.metadata.namespace) options.onChange(`${obj.metadata.namespace}/${owner}`);
  };

  const served = new Map<ResourceType, ResourceType | undefined>();
  const discover = async () => {
    const found = new Map<ResourceType, ResourceType | undefined>();
    // Discovery first: if it fails, no informer has been started to leak.
    for (const kind of OPTIONAL_KINDS) found.set(kind, await servedType(kind, (t) => client.serves(t)));
    for (const [kind, type] of found) {
      served.set(kind, type);
      const current = informers.get(kind.kind);
      if (current?.type.version === type?.version) continue;
      current?.informer.stop();
      informers.delete(kind.kind);
      if (type) watch(type, PIPELINE_LABEL, onOwned);
    }
  };
  await discover();
  watch(RESOURCES.LogPipeline, undefined, (obj) => options.onChange(keyOf(obj)));
  for (const kind of OWNED_KINDS) if (!OPTIONAL_KINDS.has(kind)) watch(kind, PIPELINE_LABEL, onOwned);

  // Owned objects of a kind whose informer has not loaded yet (just installed) are listed from the API server meanwhile.
  const synced = (type: ResourceType) => {
    const entry = informers.get(type.kind);
    return entry?.type.version === type.version && entry.informer.hasSynced() ? entry.informer : undefined;
  };
  const live = liveReader(client);
  return {
    async pipeline<T extends KubeObject>(namespace: string, name: string) {
      // Never read live: the operator may not get LogPipelines one by one. A retry comes after the list.
      const informer = synced(RESOURCES.LogPipeline);
      if (!informer)
        throw new Error(`Cannot read LogPipeline ${namespace}/${name}: the LogPipelines have not been listed yet`);
      return informer.get(`${namespace}/${name}`) as T | undefined;
    },
    async labelled(type, namespace, pipeline) {
      const informer = synced(type);
      if (!informer) return live.labelled(type, namespace, pipeline);
      return informer
        .list()
        .filter((o) => o.metadata.namespace === namespace && o.metadata.labels?.[PIPELINE_LABEL] === pipeline);
    },
    served: async (type) => (OPTIONAL_KINDS.has(type) ? served.get(type) : type),
    synced: async () => {
      await Promise.all([...informers.values()].map((e) => e.informer.synced()));
    },
    healthy: () => [...informers.values()].every((e) => e.informer.running()),
    pipelineKeys: () => informers.get(RESOURCES.LogPipeline.kind)?.informer.keys() ?? [],
    rediscover: discover,
    stop() {
      for (const { informer } of informers.values()) informer.stop();
    },
  };
}
