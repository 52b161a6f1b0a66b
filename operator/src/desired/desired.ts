import type { LogPipeline } from '@instant-logs/schema';
import type { KubeObject } from '../kube/client.ts';
import { clickhouse } from './clickhouse.ts';
import { collector } from './collector.ts';
import { PORTS, type DesiredContext } from './context.ts';
import { dashboard } from './dashboard.ts';
import { kafkaTopics } from './kafka.ts';
import { keeper } from './keeper.ts';
import { monitoring } from './monitoring.ts';
import { namesOf } from './names.ts';
import { networkPolicies } from './network.ts';
import { pipelineConfigMap } from './pipeline-config.ts';
import { processor } from './processor.ts';
import { query } from './query.ts';
import { setup, setupJobName } from './setup.ts';
import { tenantsConfigMap } from './tenants.ts';

// Apply order: topics first (the collector needs them), NetworkPolicies before any pod they guard,
// settings and Secrets before the pods that read them, autoscalers after what they scale.
const KIND_ORDER = [
  'KafkaTopic',
  'NetworkPolicy',
  'Secret',
  'ConfigMap',
  'Service',
  'StatefulSet',
  'Deployment',
  'Job',
  'PodDisruptionBudget',
  'HorizontalPodAutoscaler',
  'ScaledObject',
  'ServiceMonitor',
];

/**
 * Pure: every object the pipeline needs, in a stable order (by kind as above, then name). No I/O, no
 * clock: the same pipeline and context always give deep-equal objects. Throws only on a reconciler
 * mistake (no uid or namespace; managed ClickHouse without a password).
 */
export function desired(p: LogPipeline, ctx: DesiredContext): KubeObject[] {
  const objects = [
    ...kafkaTopics(p, ctx),
    pipelineConfigMap(p),
    ...tenantsConfigMap(p),
    ...collector(p),
    ...processor(p, ctx),
    ...clickhouse(p, ctx),
    ...keeper(p),
    setup(p),
    ...query(p, ctx),
    ...dashboard(p),
    ...networkPolicies(p),
    ...monitoring(p, ctx),
  ];
  const rank = (o: KubeObject) => KIND_ORDER.indexOf(o.kind);
  return objects.sort(
    (a, b) => rank(a) - rank(b) || (a.metadata.name < b.metadata.name ? -1 : a.metadata.name > b.metadata.name ? 1 : 0),
  );
}

/** The names status reports and looks up. */
export interface ComponentNames {
  collector: string;
  processor: string;
  query: string;
  queryPort: number;
  clickhouse: string;
  topic: string;
  deadLetterTopic: string;
  setupJob: string;
}

/**
 * Pure: the names of the pipeline's main objects. The setup Job's name is taken from `objects`
 * (what `desired()` returned) when it is there, else computed the same way.
 */
export function componentNames(p: LogPipeline, objects: readonly KubeObject[] = []): ComponentNames {
  const names = namesOf(p);
  return {
    collector: names.collector,
    processor: names.processor,
    query: names.query,
    queryPort: PORTS.query,
    clickhouse: names.clickhouse,
    topic: names.topic,
    deadLetterTopic: names.deadLetterTopic,
    setupJob: objects.find((o) => o.kind === 'Job')?.metadata.name ?? setupJobName(p),
  };
}
