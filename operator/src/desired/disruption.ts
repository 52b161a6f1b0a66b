import type { LogPipeline } from '@instant-logs/schema';
import type { KubeObject } from '../kube/client.ts';
import { selectorLabels, type Component } from './labels.ts';
import { objectMeta } from './owner.ts';

/**
 * Pure: a PodDisruptionBudget that lets a node drain take one pod of the component at a time, when
 * it may run more than one; none for a single pod, whose budget could only allow it to go.
 */
export function disruptionBudget(
  p: LogPipeline,
  name: string,
  component: Component,
  maxReplicas: number,
): KubeObject[] {
  if (maxReplicas < 2) return [];
  return [
    {
      apiVersion: 'policy/v1',
      kind: 'PodDisruptionBudget',
      metadata: objectMeta(p, name, component),
      spec: { maxUnavailable: 1, selector: { matchLabels: selectorLabels(p, component) } },
    },
  ];
}
