import type { LogPipeline } from '@instant-logs/schema';
import type { V1PodSpec } from '@kubernetes/client-node';
import { selectorLabels, type Component } from './labels.ts';

/** A component's pod settings as the LogPipeline spec holds them. */
export type PodSettings = NonNullable<LogPipeline['spec']['collector']['pod']>;

/** Pure: the pod settings of a component; the setup Job runs the processor image and takes the processor's. */
export function podSettingsOf(p: LogPipeline, component: Component): PodSettings {
  const { spec } = p;
  const byComponent: Partial<Record<Component, PodSettings | undefined>> = {
    collector: spec.collector.pod,
    processor: spec.processor.pod,
    setup: spec.processor.pod,
    query: spec.query.pod,
    dashboard: spec.dashboard.pod,
    clickhouse: spec.clickhouse.managed?.pod,
    keeper: spec.clickhouse.managed?.keeper?.managed?.pod,
  };
  return byComponent[component] ?? {};
}

/**
 * Pure: the pod spec fields that place a component's pods: its scheduling settings, and the
 * pipeline's image pull secrets. A spread constraint without a labelSelector counts the component's
 * own pods, which is what spreading them means.
 */
export function placement(p: LogPipeline, component: Component): Partial<V1PodSpec> {
  const { nodeSelector, tolerations, affinity, topologySpreadConstraints, priorityClassName } = podSettingsOf(
    p,
    component,
  );
  const pullSecrets = p.spec.images.pullSecrets ?? [];
  return {
    ...(nodeSelector && Object.keys(nodeSelector).length ? { nodeSelector } : {}),
    ...(tolerations?.length ? { tolerations } : {}),
    ...(affinity && Object.keys(affinity).length ? { affinity: affinity as V1PodSpec['affinity'] } : {}),
    ...(topologySpreadConstraints?.length
      ? {
          topologySpreadConstraints: topologySpreadConstraints.map((c) => ({
            ...c,
            labelSelector: c.labelSelector ?? { matchLabels: selectorLabels(p, component) },
          })) as V1PodSpec['topologySpreadConstraints'],
        }
      : {}),
    ...(priorityClassName ? { priorityClassName } : {}),
    ...(pullSecrets.length ? { imagePullSecrets: pullSecrets.map(({ name }) => ({ name })) } : {}),
  };
}

/** Pure: the extra annotations of a component's Service(s), or undefined. */
export function serviceAnnotationsOf(p: LogPipeline, component: Component): Record<string, string> | undefined {
  const { spec } = p;
  const byComponent: Partial<Record<Component, Record<string, string> | undefined>> = {
    collector: spec.collector.service.annotations,
    processor: spec.processor.service?.annotations,
    query: spec.query.service?.annotations,
    dashboard: spec.dashboard.service?.annotations,
    clickhouse: spec.clickhouse.managed?.service?.annotations,
  };
  const annotations = byComponent[component];
  return annotations && Object.keys(annotations).length ? annotations : undefined;
}
