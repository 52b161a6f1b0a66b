import type { LogPipeline } from '@instant-logs/schema';
import type { V1DeploymentSpec, V1PodTemplateSpec, V1ServicePort, V1ServiceSpec } from '@kubernetes/client-node';
import type { KubeObject } from '../kube/client.ts';
import { selectorLabels, type Component } from './labels.ts';
import { objectMeta } from './owner.ts';
import { serviceAnnotationsOf } from './placement.ts';

/**
 * Pure: a Deployment of one component. Without `replicas` the field is left out entirely, for an
 * autoscaler to own: applying it would reset the autoscaler's choice on every reconcile.
 */
export function deployment(
  p: LogPipeline,
  name: string,
  component: Component,
  template: V1PodTemplateSpec,
  replicas?: number,
): KubeObject {
  const spec: V1DeploymentSpec = {
    ...(replicas !== undefined ? { replicas } : {}),
    selector: { matchLabels: selectorLabels(p, component) },
    template,
  };
  return { apiVersion: 'apps/v1', kind: 'Deployment', metadata: objectMeta(p, name, component), spec };
}

/** Pure: a Service selecting one component's pods, with the component's extra Service annotations. */
export function service(
  p: LogPipeline,
  name: string,
  component: Component,
  ports: V1ServicePort[],
  extra: Omit<V1ServiceSpec, 'ports' | 'selector'> = {},
): KubeObject {
  const spec: V1ServiceSpec = { ...extra, selector: selectorLabels(p, component), ports };
  const annotations = serviceAnnotationsOf(p, component);
  return {
    apiVersion: 'v1',
    kind: 'Service',
    metadata: { ...objectMeta(p, name, component), ...(annotations ? { annotations } : {}) },
    spec,
  };
}
