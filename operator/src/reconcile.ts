import { randomBytes } from 'node:crypto';
import { isDeepStrictEqual } from 'node:util';
import { LogPipeline, type LogPipelineStatus } from '@instant-logs/schema';
import { stamped, upToDate } from './applied.ts';
import { liveReader, OPTIONAL_KINDS, OWNED_KINDS, type Reader } from './cache.ts';
import { desired, FIELD_MANAGER, componentNames, namesOf, type DesiredContext } from './desired/index.ts';
import { KubeApiError, type KubeClient, type KubeObject } from './kube/client.ts';
import { RESOURCES, typeOf, type ResourceType } from './kube/resources.ts';
import { readyTransition, recordEvent, type PipelineEvent } from './events.ts';
import {
  describeFailures,
  invalidSpecStatus,
  statusFor,
  type ApplyFailure,
  type Blocker,
  type LiveObjects,
} from './status.ts';
import { planVolumes } from './volumes.ts';

export interface ReconcileDeps {
  /** Writes, and the reads a cache cannot answer (objects the operator does not label). */
  client: KubeClient;
  /** Where the pipeline and its objects are read: the informer caches in the controller. Default: the API server. */
  reader?: Reader;
  /** ISO time for condition transitions. */
  now: () => string;
  /** A new random password; called only when a managed ClickHouse has none yet. */
  newPassword?: () => string;
}

export interface ReconcileResult {
  /** Look again after this long even if nothing changes (waiting on something not watched). */
  requeueAfterMs?: number;
  /**
   * Objects written (applied with a change, `-` deleted, `~` a StatefulSet deleted to be re-created with
   * larger volume claims, or status), for logs and tests.
   */
  changed: string[];
}

/** Some objects were refused; the rest were applied and the status says which and why. Retried with backoff. */
export class ApplyFailedError extends Error {
  readonly failures: readonly ApplyFailure[];
  constructor(failures: readonly ApplyFailure[]) {
    super(`Cannot apply ${describeFailures(failures)}`);
    this.name = 'ApplyFailedError';
    this.failures = failures;
  }
}

const WAITING_MS = 30_000;
const REPLACING_MS = 2_000;

/**
 * Level-based reconcile of one LogPipeline: read everything, converge, report. It never asks what
 * woke it. An unchanged pipeline in an unchanged cluster writes nothing at all.
 */
export async function reconcile(deps: ReconcileDeps, namespace: string, name: string): Promise<ReconcileResult> {
  const { client } = deps;
  const reader = deps.reader ?? liveReader(client);
  const changed: string[] = [];
  const raw = await reader.pipeline<KubeObject & { status?: LogPipelineStatus }>(namespace, name);
  // Gone or going: ownerReferences let the garbage collector remove the rest.
  if (!raw || raw.metadata.deletionTimestamp) return { changed };

  const parsed = LogPipeline.safeParse(raw);
  if (!parsed.success) {
    const issue = parsed.error.issues[0]!;
    const status = invalidSpecStatus(
      raw.metadata.generation ?? 0,
      `${issue.path.join('.')}: ${issue.message}`,
      raw.status,
      deps.now(),
    );
    if (await writeStatus(client, raw, status)) changed.push('status');
    await announceTransition(deps, raw, status, 'Warning');
    return { changed }; // terminal: retrying cannot fix a spec; an edit will wake us
  }
  const pipeline = parsed.data;

  // Each optional kind at the version the cluster serves, or undefined when its CRD is absent.
  const served = new Map<ResourceType, ResourceType | undefined>();
  for (const kind of OPTIONAL_KINDS) served.set(kind, await reader.served(kind));
  const topicVersion = served.get(RESOURCES.KafkaTopic)?.version;
  const blocker = await preflight(client, pipeline, served);

  const labelled = new Map<string, KubeObject[]>();
  for (const kind of OWNED_KINDS) {
    const type = OPTIONAL_KINDS.has(kind) ? served.get(kind) : kind;
    if (type) labelled.set(kind.kind, await reader.labelled(type, namespace, pipeline.metadata.name));
  }
  const live = new Map(
    [...labelled].map(([kind, objs]) => [
      kind,
      new Map(objs.filter((o) => ownedBy(o, raw)).map((o) => [o.metadata.name, o])),
    ]),
  );

  const ctx: DesiredContext = {
    capabilities: {
      keda: served.get(RESOURCES.ScaledObject) !== undefined,
      prometheusOperator: served.get(RESOURCES.ServiceMonitor) !== undefined,
      ...(topicVersion === 'v1' || topicVersion === 'v1beta2' ? { kafkaTopicVersion: topicVersion } : {}),
    },
    ...(pipeline.spec.clickhouse.managed
      ? {
          clickhousePassword: await clickhousePassword(
            client,
            pipeline,
            labelled.get('Secret') ?? [],
            deps.newPassword,
          ),
        }
      : {}),
  };
  const objects = blocker ? [] : desired(pipeline, ctx);
  const names = componentNames(pipeline, objects);
  const volumes = await planVolumes(client, raw, objects, live.get('StatefulSet') ?? new Map());
  for (const replaced of volumes.replacing) {
    if (live.get('StatefulSet')?.delete(replaced)) changed.push(`~StatefulSet/${replaced}`);
  }

  // One refused object (an admission policy, a quota) must not keep the others from converging.
  const failures: ApplyFailure[] = [];
  for (const obj of volumes.objects.map(stamped)) {
    const type = typeOf(obj)!;
    const before = live.get(type.kind)?.get(obj.metadata.name);
    // An apply that would change nothing is still a request: skip it, so a settled pipeline costs none.
    if (upToDate(obj, before)) continue;
    try {
      const after = await client.apply(type, obj, FIELD_MANAGER);
      if (before?.metadata.resourceVersion !== after.metadata.resourceVersion)
        changed.push(`${type.kind}/${obj.metadata.name}`);
      live.get(type.kind)?.set(obj.metadata.name, after);
    } catch (err) {
      const failure = {
        kind: type.kind,
        name: obj.metadata.name,
        message: err instanceof KubeApiError ? err.detail : String(err),
      };
      failures.push(failure);
      await recordEvent(
        client,
        raw,
        { type: 'Warning', reason: 'ApplyFailed', message: describeFailures([failure]) },
        deps.now(),
      );
    }
  }
  if (!blocker) {
    const wanted = new Set(objects.map((o) => `${o.kind}/${o.metadata.name}`));
    for (const [kind, byName] of live) {
      for (const [objName, obj] of byName) {
        if (wanted.has(`${kind}/${objName}`)) continue;
        await client.delete(typeOf(obj)!, namespace, objName);
        byName.delete(objName);
        changed.push(`-${kind}/${objName}`);
      }
    }
  }

  const volumeProblem = volumes.problems[0];
  const status = statusFor(
    pipeline,
    live as LiveObjects,
    names,
    { blocker, failures, volumes: volumeProblem },
    raw.status,
    deps.now(),
  );
  if (await writeStatus(client, raw, status)) changed.push('status');
  if (failures.length > 0) throw new ApplyFailedError(failures);
  const problem = blocker || (volumeProblem && volumeProblem.reason !== 'ExpandingVolumes');
  await announceTransition(deps, raw, status, problem ? 'Warning' : 'Normal');
  // A StatefulSet being replaced is re-created once its orphaning delete is done; its deletion wakes us too.
  if (volumes.replacing.length > 0) return { changed, requeueAfterMs: REPLACING_MS };
  const ready = status.conditions?.find((c) => c.type === 'Ready')?.status === 'True';
  return ready ? { changed } : { changed, requeueAfterMs: WAITING_MS };
}

async function announceTransition(
  deps: ReconcileDeps,
  raw: KubeObject & { status?: LogPipelineStatus },
  status: LogPipelineStatus,
  notReadyType: PipelineEvent['type'],
): Promise<void> {
  const event = readyTransition(raw.status, status, notReadyType);
  if (event) await recordEvent(deps.client, raw, event, deps.now());
}

/** Things that make the pipeline unworkable though its spec is valid: reported, retried later. */
async function preflight(
  client: KubeClient,
  p: LogPipeline,
  served: Map<ResourceType, ResourceType | undefined>,
): Promise<Blocker | undefined> {
  const ns = p.metadata.namespace;
  if (p.spec.kafka.cluster && !served.get(RESOURCES.KafkaTopic)) {
    return {
      reason: 'StrimziNotInstalled',
      message:
        'kafka.cluster needs the Strimzi KafkaTopic CRD (kafka.strimzi.io/v1 or v1beta2); install Strimzi or use kafka.bootstrapServers',
    };
  }
  const secrets: [string, string, string][] = [];
  if (p.spec.collector.apiKeysSecretRef)
    secrets.push([
      'collector.apiKeysSecretRef',
      p.spec.collector.apiKeysSecretRef.name,
      p.spec.collector.apiKeysSecretRef.key,
    ]);
  if (p.spec.auth.keysSecretRef)
    secrets.push(['auth.keysSecretRef', p.spec.auth.keysSecretRef.name, p.spec.auth.keysSecretRef.key]);
  const { secretName, clientAuth } = p.spec.tls;
  if (secretName) {
    // ca.crt only matters to a collector that checks client certificates.
    for (const key of clientAuth === 'none' ? ['tls.crt', 'tls.key'] : ['tls.crt', 'tls.key', 'ca.crt'])
      secrets.push(['tls.secretName', secretName, key]);
  }
  const external = p.spec.clickhouse.external;
  if (external) {
    const ref = external.credentialsSecretRef;
    secrets.push(
      ['clickhouse.external.credentialsSecretRef', ref.name, ref.usernameKey],
      ['clickhouse.external.credentialsSecretRef', ref.name, ref.passwordKey],
    );
  }
  for (const [field, secretName, key] of secrets) {
    const secret = await client.get<KubeObject & { data?: Record<string, string> }>(RESOURCES.Secret, ns, secretName);
    if (!secret) return { reason: 'SecretNotFound', message: `${field}: Secret ${ns}/${secretName} does not exist` };
    if (secret.data?.[key] === undefined)
      return { reason: 'SecretKeyNotFound', message: `${field}: Secret ${ns}/${secretName} has no key "${key}"` };
  }
  return undefined;
}

// The password is made once and then read back from its Secret, so desired() stays pure. A Secret
// missing from the cache is looked up on the API server before a new password is made: the cache may
// not have seen the one the last reconcile created yet, and a second password would roll every pod.
async function clickhousePassword(
  client: KubeClient,
  p: LogPipeline,
  labelled: readonly KubeObject[],
  newPassword = () => randomBytes(24).toString('base64url'),
): Promise<string> {
  const name = namesOf(p).clickhouseCredentials;
  type Secret = KubeObject & { data?: Record<string, string> };
  const secret =
    (labelled.find((s) => s.metadata.name === name) as Secret | undefined) ??
    (await client.get<Secret>(RESOURCES.Secret, p.metadata.namespace, name));
  const existing = secret?.data?.['password'];
  return existing ? Buffer.from(existing, 'base64').toString('utf8') : newPassword();
}

function ownedBy(obj: KubeObject, owner: KubeObject): boolean {
  return obj.metadata.ownerReferences?.some((r) => r.uid === owner.metadata.uid && r.controller) ?? false;
}

/** Writes status through the subresource when it differs; returns whether it wrote. */
async function writeStatus(
  client: KubeClient,
  raw: KubeObject & { status?: LogPipelineStatus },
  status: LogPipelineStatus,
): Promise<boolean> {
  if (isDeepStrictEqual(normalise(raw.status), normalise(status))) return false;
  try {
    await client.applyStatus(
      RESOURCES.LogPipeline,
      {
        apiVersion: raw.apiVersion,
        kind: raw.kind,
        metadata: { name: raw.metadata.name, namespace: raw.metadata.namespace },
        status,
      },
      FIELD_MANAGER,
    );
  } catch (err) {
    // Deleted between the read and the write: nothing left to report on.
    if (!(err instanceof KubeApiError && err.status === 404)) throw err;
  }
  return true;
}

// JSON round trip drops undefined members, as the API server's copy has none.
function normalise(status: LogPipelineStatus | undefined): unknown {
  return status === undefined ? undefined : JSON.parse(JSON.stringify(status));
}
