import { LOG_PIPELINE_RESOURCE, type LogPipeline } from '@instant-logs/schema';
import type { KubeObject } from '../kube/client.ts';
import { labelsFor, type Component } from './labels.ts';

type OwnerReference = NonNullable<KubeObject['metadata']['ownerReferences']>[number];

/** Pure: the controller reference to the LogPipeline, so the garbage collector removes what it owns. */
export function ownerReference(p: LogPipeline): OwnerReference {
  if (!p.metadata.uid)
    throw new Error(
      `Cannot own objects for LogPipeline ${p.metadata.name}: it has no metadata.uid (read it from the API server)`,
    );
  return {
    apiVersion: LOG_PIPELINE_RESOURCE.apiVersion,
    kind: LOG_PIPELINE_RESOURCE.kind,
    name: p.metadata.name,
    uid: p.metadata.uid,
    controller: true,
    blockOwnerDeletion: true,
  };
}

/** Pure: name, namespace, labels and owner of an object belonging to one component. */
export function objectMeta(
  p: LogPipeline,
  name: string,
  component: Component,
  extraLabels: Record<string, string> = {},
): KubeObject['metadata'] {
  if (!p.metadata.namespace)
    throw new Error(`Cannot place objects for LogPipeline ${p.metadata.name}: it has no metadata.namespace`);
  return {
    name,
    namespace: p.metadata.namespace,
    labels: { ...labelsFor(p, component), ...extraLabels },
    ownerReferences: [ownerReference(p)],
  };
}
