import { logPipelineCrd, type LogPipelineStatus } from '@instant-logs/schema';
import { startControlPlane, waitUntil, type ControlPlane } from '@instant-logs/testbed';
import { createKubeClient, type KubeClient, type KubeObject } from './kube/client.ts';
import { RESOURCES, servedType, type ResourceType } from './kube/resources.ts';

/** The test bed's condition poll, under the name the operator tests use. */
export const until = waitUntil;

// Stand-ins for the CRDs of Strimzi and KEDA: same group, version, kind and status subresource,
// with open schemas. The operator only needs the API server to serve and store them.
// The first version is the storage version; all are served.
function openCrd(t: ResourceType, shortKind: string, versions: readonly string[] = [t.version]): KubeObject {
  return {
    apiVersion: 'apiextensions.k8s.io/v1',
    kind: 'CustomResourceDefinition',
    metadata: { name: `${t.plural}.${t.group}` },
    spec: {
      group: t.group,
      scope: 'Namespaced',
      names: { plural: t.plural, singular: shortKind, kind: t.kind, listKind: `${t.kind}List` },
      versions: versions.map((name, i) => ({
        name,
        served: true,
        storage: i === 0,
        subresources: { status: {} },
        schema: {
          openAPIV3Schema: {
            type: 'object',
            properties: {
              spec: { type: 'object', 'x-kubernetes-preserve-unknown-fields': true },
              status: { type: 'object', 'x-kubernetes-preserve-unknown-fields': true },
            },
          },
        },
      })),
    },
  };
}

export const STRIMZI_TOPIC_CRD = openCrd(RESOURCES.KafkaTopic, 'kafkatopic');
/** Strimzi's KafkaTopic CRD serving these versions (v1beta2 before Strimzi 0.49), the first stored. */
export const strimziTopicCrd = (versions: readonly string[]) => openCrd(RESOURCES.KafkaTopic, 'kafkatopic', versions);
export const KEDA_SCALED_OBJECT_CRD = openCrd(RESOURCES.ScaledObject, 'scaledobject');
export const SERVICE_MONITOR_CRD = openCrd(RESOURCES.ServiceMonitor, 'servicemonitor');

/** Installs a CRD and waits until the API server serves it. */
export async function installCrd(client: KubeClient, crd: KubeObject): Promise<void> {
  await client.apply(RESOURCES.CustomResourceDefinition, crd, 'test');
  const spec = crd['spec'] as { group: string; versions: { name: string }[]; names: { plural: string } };
  const type = {
    group: spec.group,
    version: spec.versions[0]!.name,
    kind: '',
    plural: spec.names.plural,
    namespaced: true,
  };
  await until(`${crd.metadata.name} to be served`, () => client.serves(type));
  // Discovery lists a new CRD a moment before its storage answers; wait for a real list to work.
  await until(`${crd.metadata.name} storage`, () =>
    client.list(type, 'default').then(
      () => true,
      () => false,
    ),
  );
}

/** A real control plane with the LogPipeline and Strimzi KafkaTopic CRDs installed. */
export async function startTestCluster(
  options: { kafkaTopicVersions?: readonly string[]; controllers?: readonly string[] } = {},
): Promise<{ plane: ControlPlane; client: KubeClient; namespace(): Promise<string> }> {
  const plane = await startControlPlane(options.controllers ? { controllers: options.controllers } : {});
  const client = createKubeClient(plane.kubeConfig);
  await installCrd(client, logPipelineCrd() as unknown as KubeObject);
  await installCrd(
    client,
    options.kafkaTopicVersions ? strimziTopicCrd(options.kafkaTopicVersions) : STRIMZI_TOPIC_CRD,
  );
  let n = 0;
  return {
    plane,
    client,
    async namespace() {
      const name = `t${process.pid}-${++n}`;
      await client.create(
        { group: '', version: 'v1', kind: 'Namespace', plural: 'namespaces', namespaced: false },
        { apiVersion: 'v1', kind: 'Namespace', metadata: { name } },
      );
      return name;
    },
  };
}

/**
 * What the built-in controllers and Strimzi would report once everything runs. Written as they write
 * it: an Update of the status subresource.
 */
/** A LogPipeline as the tests create it, and as the API server stores it (status included once set). */
export type TestPipeline = KubeObject & { spec: Record<string, unknown>; status?: LogPipelineStatus };

/** Creates a LogPipeline named `name` in `namespace` with `spec` as given (the API server fills the defaults). */
export function createPipeline(
  client: KubeClient,
  namespace: string,
  name: string,
  spec: Record<string, unknown>,
): Promise<TestPipeline> {
  return client.create<TestPipeline>(RESOURCES.LogPipeline, {
    apiVersion: 'logging.instantdev.io/v1alpha1',
    kind: 'LogPipeline',
    metadata: { name, namespace },
    spec,
  });
}

/** The LogPipeline as the API server holds it now. */
export async function getPipeline(client: KubeClient, namespace: string, name: string): Promise<TestPipeline> {
  return (await client.get<TestPipeline>(RESOURCES.LogPipeline, namespace, name))!;
}

export async function markEverythingReady(client: KubeClient, namespace: string, pipeline: string): Promise<void> {
  const selector = `logging.instantdev.io/pipeline=${pipeline}`;
  const setStatus = (t: ResourceType, obj: KubeObject, status: object) => client.replaceStatus(t, { ...obj, status });
  for (const d of await client.list(RESOURCES.Deployment, namespace, selector)) {
    await setStatus(RESOURCES.Deployment, d, {
      replicas: 1,
      readyReplicas: 1,
      availableReplicas: 1,
      conditions: [{ type: 'Available', status: 'True', reason: 'MinimumReplicasAvailable', message: 'ok' }],
    });
  }
  for (const s of await client.list(RESOURCES.StatefulSet, namespace, selector))
    await setStatus(RESOURCES.StatefulSet, s, { replicas: 1, readyReplicas: 1 });
  // A Job's startTime cannot change once set: a second call keeps it.
  for (const j of await client.list<KubeObject & { status?: { startTime?: string } }>(
    RESOURCES.Job,
    namespace,
    selector,
  )) {
    await setStatus(RESOURCES.Job, j, { succeeded: 1, startTime: j.status?.startTime ?? new Date().toISOString() });
  }
  const topics = await servedType(RESOURCES.KafkaTopic, (t) => client.serves(t));
  for (const t of topics ? await client.list(topics, namespace, selector) : [])
    await setStatus(topics!, t, { conditions: [{ type: 'Ready', status: 'True' }] });
}
