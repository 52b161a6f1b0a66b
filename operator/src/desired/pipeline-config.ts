import type { LogPipeline } from '@instant-logs/schema';
import type { V1EnvFromSource } from '@kubernetes/client-node';
import type { KubeObject } from '../kube/client.ts';
import { clickhouseEndpoint } from './clickhouse.ts';
import { clusterSettings } from './clickhouse-cluster.ts';
import { shortHash } from './hash.ts';
import { kafkaBootstrap } from './kafka.ts';
import { CONFIG_HASH_ANNOTATION } from './labels.ts';
import { namesOf } from './names.ts';
import { objectMeta } from './owner.ts';

/** Pure: the non-secret settings collector, processor and query share, keyed by their env var names. */
export function sharedSettings(p: LogPipeline): Record<string, string> {
  const names = namesOf(p);
  const { url, database } = clickhouseEndpoint(p);
  return {
    KAFKA_BROKERS: kafkaBootstrap(p),
    KAFKA_TOPIC: names.topic,
    KAFKA_DEAD_LETTER_TOPIC: names.deadLetterTopic,
    CLICKHOUSE_URL: url,
    CLICKHOUSE_DATABASE: database,
    ...clusterSettings(p),
  };
}

/** Pure: the ConfigMap `<name>-pipeline` holding the shared settings. */
export function pipelineConfigMap(p: LogPipeline): KubeObject {
  return {
    apiVersion: 'v1',
    kind: 'ConfigMap',
    metadata: objectMeta(p, namesOf(p).config, 'pipeline'),
    data: sharedSettings(p),
  };
}

/**
 * Pure: how a service's pods read the shared settings: envFrom the ConfigMap, and an annotation
 * with its hash so that changing a setting rolls the pods (env is read once, at start).
 */
export function sharedSettingsEnv(p: LogPipeline): { envFrom: V1EnvFromSource[]; annotations: Record<string, string> } {
  return {
    envFrom: [{ configMapRef: { name: namesOf(p).config } }],
    annotations: { [CONFIG_HASH_ANNOTATION]: shortHash(sharedSettings(p)) },
  };
}
