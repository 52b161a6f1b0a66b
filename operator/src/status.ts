import {
  PipelineConditionType,
  type LogPipeline,
  type LogPipelineStatus,
  type PipelineCondition,
} from '@instant-logs/schema';
import { schemeOf, type ComponentNames } from './desired/index.ts';
import { clickhouseStatefulSetNames } from './desired/clickhouse-cluster.ts';
import { managedKeeper } from './desired/keeper.ts';
import { namesOf } from './desired/names.ts';
import type { KubeObject } from './kube/client.ts';
import type { VolumeProblem } from './volumes.ts';

type ConditionStatus = 'True' | 'False' | 'Unknown';
interface Verdict {
  status: ConditionStatus;
  reason: string;
  message: string;
}

/** What the reconciler saw of the objects it manages, by kind then name. */
export type LiveObjects = ReadonlyMap<string, ReadonlyMap<string, KubeObject>>;

/** A problem found before applying anything (a missing Secret, a missing CRD): the pipeline cannot work. */
export interface Blocker {
  reason: string;
  message: string;
}

/** An object the API server refused to apply (an admission policy, a quota, a bad field). */
export interface ApplyFailure {
  kind: string;
  name: string;
  message: string;
}

/** Pure: how a Ready condition or an Event names the objects that failed to apply. */
export function describeFailures(failures: readonly ApplyFailure[]): string {
  return failures.map((f) => `${f.kind} ${f.name}: ${f.message}`).join('; ');
}

const ok = (reason: string, message: string): Verdict => ({ status: 'True', reason, message });
const notYet = (reason: string, message: string): Verdict => ({ status: 'False', reason, message });

/**
 * Pure: the status for what was observed. Conditions keep their lastTransitionTime while their
 * status stays the same, so an unchanged world yields an identical status (and no write).
 */
export function statusFor(
  pipeline: LogPipeline,
  live: LiveObjects,
  names: ComponentNames,
  problems: {
    blocker?: Blocker | undefined;
    failures: readonly ApplyFailure[];
    volumes?: VolumeProblem | undefined;
  },
  previous: LogPipelineStatus | undefined,
  now: string,
): LogPipelineStatus {
  const { blocker, failures, volumes } = problems;
  const generation = pipeline.metadata.generation ?? 0;
  const verdicts: [string, Verdict][] = [
    [PipelineConditionType.KafkaTopicReady, kafkaVerdict(pipeline, live, names)],
    [PipelineConditionType.CollectorReady, deploymentVerdict(live, names.collector, 'collector')],
    [PipelineConditionType.ProcessorReady, deploymentVerdict(live, names.processor, 'processor')],
    [PipelineConditionType.ClickHouseReady, clickhouseVerdict(pipeline, live, names)],
    [
      PipelineConditionType.QueryReady,
      pipeline.spec.query.enabled
        ? deploymentVerdict(live, names.query, 'query service')
        : ok('Disabled', 'query.enabled is false'),
    ],
  ];
  const firstBad = verdicts.find(([, v]) => v.status !== 'True');
  const ready: Verdict = blocker
    ? notYet(blocker.reason, blocker.message)
    : failures.length > 0
      ? notYet('ApplyFailed', describeFailures(failures))
      : volumes
        ? notYet(volumes.reason, volumes.message)
        : firstBad
          ? notYet(firstBad[1].reason, `${firstBad[0]}: ${firstBad[1].message}`)
          : ok('AllComponentsReady', 'every component is ready');
  const conditions = [[PipelineConditionType.Ready, ready] as [string, Verdict], ...verdicts].map(([type, v]) =>
    condition(type, v, generation, previous, now),
  );
  return {
    observedGeneration: generation,
    conditions,
    endpoints: {
      collector: `${schemeOf(pipeline)}://${names.collector}.${pipeline.metadata.namespace}.svc:${pipeline.spec.collector.service.port}`,
      ...(pipeline.spec.query.enabled
        ? { query: `${schemeOf(pipeline)}://${names.query}.${pipeline.metadata.namespace}.svc:${names.queryPort}` }
        : {}),
    },
    topics: { logs: names.topic, deadLetter: names.deadLetterTopic },
    clickhouse: pipeline.spec.clickhouse.managed ? 'managed' : 'external',
  };
}

/** Pure: the status of a LogPipeline whose spec cannot be used at all (the operator will not retry). */
export function invalidSpecStatus(
  generation: number,
  message: string,
  previous: LogPipelineStatus | undefined,
  now: string,
): LogPipelineStatus {
  return {
    ...previous,
    observedGeneration: generation,
    conditions: [condition(PipelineConditionType.Ready, notYet('InvalidSpec', message), generation, previous, now)],
  };
}

function condition(
  type: string,
  v: Verdict,
  generation: number,
  previous: LogPipelineStatus | undefined,
  now: string,
): PipelineCondition {
  const before = previous?.conditions?.find((c) => c.type === type);
  const lastTransitionTime = before && before.status === v.status ? before.lastTransitionTime : now;
  return {
    type,
    status: v.status,
    observedGeneration: generation,
    lastTransitionTime,
    reason: v.reason,
    message: v.message,
  };
}

function get(live: LiveObjects, kind: string, name: string): KubeObject | undefined {
  return live.get(kind)?.get(name);
}

function deploymentVerdict(live: LiveObjects, name: string, what: string): Verdict {
  const d = get(live, 'Deployment', name) as
    | (KubeObject & {
        status?: { availableReplicas?: number; conditions?: { type: string; status: string; message?: string }[] };
      })
    | undefined;
  if (!d) return notYet('NotCreated', `Deployment ${name} does not exist yet`);
  const available = d.status?.conditions?.find((c) => c.type === 'Available');
  if (available?.status === 'True' && (d.status?.availableReplicas ?? 0) > 0)
    return ok('Available', `${what} has ${d.status?.availableReplicas} available replica(s)`);
  return notYet('Unavailable', available?.message ?? `Deployment ${name} has no available replicas yet`);
}

function jobSucceeded(live: LiveObjects, name: string): boolean {
  const job = get(live, 'Job', name) as (KubeObject & { status?: { succeeded?: number } }) | undefined;
  return (job?.status?.succeeded ?? 0) > 0;
}

function kafkaVerdict(pipeline: LogPipeline, live: LiveObjects, names: ComponentNames): Verdict {
  if (!pipeline.spec.kafka.cluster) {
    return jobSucceeded(live, names.setupJob)
      ? ok('TopicsCreated', 'the setup Job created the topics')
      : notYet('SetupPending', `Job ${names.setupJob} has not succeeded yet`);
  }
  for (const topic of [names.topic, names.deadLetterTopic]) {
    const t = [...(live.get('KafkaTopic')?.values() ?? [])].find(
      (o) => ((o as { spec?: { topicName?: string } }).spec?.topicName ?? o.metadata.name) === topic,
    ) as (KubeObject & { status?: { conditions?: { type: string; status: string; message?: string }[] } }) | undefined;
    const readyCondition = t?.status?.conditions?.find((c) => c.type === 'Ready');
    if (readyCondition?.status !== 'True')
      return notYet(
        'TopicNotReady',
        readyCondition?.message ?? `KafkaTopic for ${topic} is not Ready yet (is the Strimzi topic operator running?)`,
      );
  }
  return ok('TopicsReady', 'Strimzi reports both topics Ready');
}

function clickhouseVerdict(pipeline: LogPipeline, live: LiveObjects, names: ComponentNames): Verdict {
  // Every shard must be up: a Distributed read fails while any one is down.
  for (const name of clickhouseStatefulSetNames(pipeline)) {
    const sts = get(live, 'StatefulSet', name) as (KubeObject & { status?: { readyReplicas?: number } }) | undefined;
    if (!sts) return notYet('NotCreated', `StatefulSet ${name} does not exist yet`);
    if ((sts.status?.readyReplicas ?? 0) < pipeline.spec.clickhouse.managed!.replicas)
      return notYet('Unavailable', `StatefulSet ${name} has ${sts.status?.readyReplicas ?? 0} ready replica(s)`);
  }
  // Replicated tables are read-only without a Keeper quorum (a majority of its servers).
  const keeper = managedKeeper(pipeline);
  if (keeper) {
    const name = namesOf(pipeline).keeper;
    const sts = get(live, 'StatefulSet', name) as (KubeObject & { status?: { readyReplicas?: number } }) | undefined;
    const quorum = Math.floor(keeper.replicas / 2) + 1;
    if (!sts) return notYet('KeeperNotCreated', `StatefulSet ${name} does not exist yet`);
    if ((sts.status?.readyReplicas ?? 0) < quorum)
      return notYet(
        'KeeperNoQuorum',
        `Keeper StatefulSet ${name} has ${sts.status?.readyReplicas ?? 0} ready server(s), a quorum needs ${quorum}`,
      );
  }
  return jobSucceeded(live, names.setupJob)
    ? ok('SchemaReady', 'ClickHouse answers and the schema is migrated')
    : notYet('SchemaPending', `Job ${names.setupJob} has not succeeded yet`);
}
