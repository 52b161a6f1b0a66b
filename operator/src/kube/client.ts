import { request as httpsRequest, type RequestOptions } from 'node:https';
import { Watch, type KubeConfig } from '@kubernetes/client-node';
import { apiVersionOf, pathOf, type ResourceType } from './resources.ts';

/** The smallest shape every Kubernetes object has. */
export interface KubeObject {
  apiVersion: string;
  kind: string;
  metadata: {
    name: string;
    namespace?: string;
    uid?: string;
    resourceVersion?: string;
    generation?: number;
    labels?: Record<string, string>;
    annotations?: Record<string, string>;
    ownerReferences?: {
      apiVersion: string;
      kind: string;
      name: string;
      uid: string;
      controller?: boolean;
      blockOwnerDeletion?: boolean;
    }[];
    deletionTimestamp?: string;
    [key: string]: unknown;
  };
  [key: string]: unknown;
}

/** An answer from the API server other than success, with its HTTP status and reason. */
export class KubeApiError extends Error {
  readonly status: number;
  readonly reason: string;
  /** The API server's own words, without the request line: what a status or an Event shows. */
  readonly detail: string;
  constructor(status: number, reason: string, message: string, detail = message) {
    super(message);
    this.name = 'KubeApiError';
    this.status = status;
    this.reason = reason;
    this.detail = detail;
  }
}

export interface KubeClient {
  get<T extends KubeObject>(t: ResourceType, namespace: string | undefined, name: string): Promise<T | undefined>;
  /** Lists objects; each comes back with apiVersion and kind set (the API leaves them out of list items). */
  list<T extends KubeObject>(t: ResourceType, namespace?: string, labelSelector?: string): Promise<T[]>;
  /** Server-side apply with one field manager, taking ownership of conflicting fields. */
  apply<T extends KubeObject>(t: ResourceType, obj: KubeObject, fieldManager: string): Promise<T>;
  /** Replaces the status subresource (an Update, as the built-in controllers write status). */
  replaceStatus<T extends KubeObject>(t: ResourceType, obj: KubeObject): Promise<T>;
  /** Server-side apply of the status subresource. */
  applyStatus<T extends KubeObject>(t: ResourceType, obj: KubeObject, fieldManager: string): Promise<T>;
  create<T extends KubeObject>(t: ResourceType, obj: KubeObject): Promise<T>;
  /** Replaces an object; its metadata.resourceVersion makes it fail with 409 if someone else wrote first. */
  replace<T extends KubeObject>(t: ResourceType, obj: KubeObject): Promise<T>;
  /**
   * Deletes in the background, or leaving its dependents (`Orphan`: a StatefulSet's pods stay for its
   * successor to adopt); an object already gone is not an error.
   */
  delete(
    t: ResourceType,
    namespace: string | undefined,
    name: string,
    propagationPolicy?: 'Background' | 'Orphan',
  ): Promise<void>;
  /** Whether the API server serves this resource type (e.g. a CRD that may not be installed). */
  serves(t: ResourceType): Promise<boolean>;
  /**
   * Watches a collection from a resourceVersion, with the label selector of the list it follows;
   * `done` is called when the watch ends for any reason.
   */
  watch(
    t: ResourceType,
    namespace: string | undefined,
    resourceVersion: string | undefined,
    onEvent: (type: string, obj: KubeObject) => void,
    done: (err?: unknown) => void,
    labelSelector?: string,
  ): Promise<AbortController>;
  /** The resourceVersion a list was served at, to start a watch from. */
  listVersion(
    t: ResourceType,
    namespace?: string,
    labelSelector?: string,
  ): Promise<{ items: KubeObject[]; resourceVersion: string }>;
}

/** One HTTP request to the API server. */
export interface KubeRequest {
  method: string;
  /** Path and query, e.g. `/api/v1/namespaces/logs/secrets?labelSelector=…`. */
  path: string;
  /** The answer's HTTP status; undefined for a watch (reported as it starts) and a request that failed outright. */
  status?: number;
}

export interface KubeClientOptions {
  /** Told about every request (watches included) once it is answered, e.g. to count what a reconcile costs. */
  onRequest?: (req: KubeRequest) => void;
}

const WATCH_SECONDS = 25;

/** A client over the API server named by the kubeconfig; no retries here, callers decide. */
export function createKubeClient(kc: KubeConfig, options: KubeClientOptions = {}): KubeClient {
  const cluster = kc.getCurrentCluster();
  if (!cluster) throw new Error('The kubeconfig names no current cluster');
  const base = new URL(cluster.server);

  const send = async (
    method: string,
    path: string,
    body?: unknown,
    contentType = 'application/json',
  ): Promise<{ status: number; json: unknown }> => {
    const req: RequestOptions = {
      method,
      hostname: base.hostname,
      port: base.port || 443,
      path,
      headers: { accept: 'application/json' },
    };
    await kc.applyToHTTPSOptions(req);
    const payload = body === undefined ? undefined : Buffer.from(JSON.stringify(body));
    if (payload) Object.assign(req.headers!, { 'content-type': contentType, 'content-length': String(payload.length) });
    return new Promise((resolve, reject) => {
      const request = httpsRequest(req, (res) => {
        options.onRequest?.({ method, path, status: res.statusCode });
        const chunks: Buffer[] = [];
        res.on('data', (c: Buffer) => chunks.push(c));
        res.on('end', () => {
          const text = Buffer.concat(chunks).toString('utf8');
          let json: unknown;
          try {
            json = text ? JSON.parse(text) : undefined;
          } catch {
            json = { message: text };
          }
          resolve({ status: res.statusCode ?? 0, json });
        });
        res.on('error', reject);
      });
      request.on('error', (err) => {
        options.onRequest?.({ method, path });
        reject(err);
      });
      request.setTimeout(30_000, () => request.destroy(new Error(`${method} ${path} timed out`)));
      request.end(payload);
    });
  };

  const call = async <T>(method: string, path: string, body?: unknown, contentType?: string): Promise<T> => {
    const res = await send(method, path, body, contentType);
    if (res.status >= 200 && res.status < 300) return res.json as T;
    const status = res.json as { reason?: string; message?: string } | undefined;
    const detail = status?.message ?? `HTTP ${res.status}`;
    throw new KubeApiError(res.status, status?.reason ?? 'Unknown', `${method} ${path}: ${detail}`, detail);
  };

  const applyPath = (t: ResourceType, obj: KubeObject, fieldManager: string, sub?: string) =>
    `${pathOf(t, obj.metadata.namespace, obj.metadata.name, sub)}?fieldManager=${encodeURIComponent(fieldManager)}&force=true`;

  const stamp = <T extends KubeObject>(t: ResourceType, items: KubeObject[]): T[] =>
    items.map((i) => ({ ...i, apiVersion: apiVersionOf(t), kind: t.kind }) as T);

  const listVersion = async (t: ResourceType, namespace?: string, labelSelector?: string) => {
    const query = labelSelector ? `?labelSelector=${encodeURIComponent(labelSelector)}` : '';
    const res = await call<{ items: KubeObject[]; metadata: { resourceVersion: string } }>(
      'GET',
      `${pathOf(t, namespace)}${query}`,
    );
    return { items: stamp(t, res.items), resourceVersion: res.metadata.resourceVersion };
  };

  return {
    async get<T extends KubeObject>(t: ResourceType, namespace: string | undefined, name: string) {
      try {
        return await call<T>('GET', pathOf(t, namespace, name));
      } catch (err) {
        if (err instanceof KubeApiError && err.status === 404) return undefined;
        throw err;
      }
    },
    list: async <T extends KubeObject>(t: ResourceType, namespace?: string, labelSelector?: string) =>
      (await listVersion(t, namespace, labelSelector)).items as T[],
    listVersion,
    apply: (t, obj, fieldManager) =>
      call('PATCH', applyPath(t, obj, fieldManager), obj, 'application/apply-patch+yaml'),
    applyStatus: (t, obj, fieldManager) =>
      call('PATCH', applyPath(t, obj, fieldManager, 'status'), obj, 'application/apply-patch+yaml'),
    replaceStatus: (t, obj) => call('PUT', pathOf(t, obj.metadata.namespace, obj.metadata.name, 'status'), obj),
    create: (t, obj) => call('POST', pathOf(t, obj.metadata.namespace), obj),
    replace: (t, obj) => call('PUT', pathOf(t, obj.metadata.namespace, obj.metadata.name), obj),
    async delete(t, namespace, name, propagationPolicy = 'Background') {
      try {
        await call('DELETE', pathOf(t, namespace, name), {
          kind: 'DeleteOptions',
          apiVersion: 'v1',
          propagationPolicy,
        });
      } catch (err) {
        if (!(err instanceof KubeApiError && err.status === 404)) throw err;
      }
    },
    async serves(t) {
      try {
        const list = await call<{ resources: { name: string }[] }>(
          'GET',
          t.group ? `/apis/${t.group}/${t.version}` : `/api/${t.version}`,
        );
        return list.resources.some((x) => x.name === t.plural);
      } catch (err) {
        if (err instanceof KubeApiError && err.status === 404) return false;
        throw err;
      }
    },
    watch(t, namespace, resourceVersion, onEvent, done, labelSelector) {
      // The server ends each watch before client-node's 30 s inactivity limit would call a quiet one
      // (a selector on the operator's own objects sees few events) a failure; the informer resumes it.
      const params: Record<string, string | boolean | number> = {
        allowWatchBookmarks: true,
        timeoutSeconds: WATCH_SECONDS,
      };
      if (resourceVersion) params['resourceVersion'] = resourceVersion;
      // Without it the API server streams every object of the kind in the cluster, whatever the list asked.
      if (labelSelector) params['labelSelector'] = labelSelector;
      const query = new URLSearchParams(Object.entries(params).map(([k, v]): [string, string] => [k, String(v)]));
      options.onRequest?.({ method: 'GET', path: `${pathOf(t, namespace)}?watch=true&${query}` });
      return new Watch(kc).watch(
        pathOf(t, namespace),
        params,
        (type, obj: KubeObject) =>
          onEvent(type, type === 'BOOKMARK' ? obj : { ...obj, apiVersion: apiVersionOf(t), kind: t.kind }),
        done,
      );
    },
  };
}
