import { LogPipeline, type LogPipelineSpecInput } from '@instant-logs/schema';
import type { V1Container, V1EnvVar, V1PodTemplateSpec } from '@kubernetes/client-node';
import type { KubeObject } from '../kube/client.ts';
import type { DesiredContext } from './context.ts';

/** A LogPipeline parsed by the real schema (so every default is filled in): Strimzi Kafka and managed ClickHouse unless overridden. */
export function pipeline(spec: Partial<LogPipelineSpecInput> = {}, name = 'demo'): LogPipeline {
  return LogPipeline.parse({
    apiVersion: 'logging.instantdev.io/v1alpha1',
    kind: 'LogPipeline',
    metadata: { name, namespace: 'logs', uid: '4f1c2a9e-0000-4000-8000-000000000001', generation: 1 },
    spec: { kafka: { cluster: 'kafka' }, clickhouse: { managed: {} }, ...spec },
  });
}

export const PASSWORD = 'pw-Zq8vX3nR6tLk';

/** A context with the given capabilities (default none) and the managed ClickHouse password (null: none, as for an external ClickHouse). */
export function context(
  capabilities: Partial<DesiredContext['capabilities']> = {},
  clickhousePassword: string | null = PASSWORD,
): DesiredContext {
  return {
    capabilities: { keda: false, prometheusOperator: false, ...capabilities },
    ...(clickhousePassword === null ? {} : { clickhousePassword }),
  };
}

export const EXTERNAL_CLICKHOUSE = {
  external: {
    url: 'https://ch.example.com:8443',
    database: 'logs_db',
    credentialsSecretRef: { name: 'ch-creds', usernameKey: 'user', passwordKey: 'pass' },
  },
} as const;

/** The object of this kind and name; fails the test when there is none. */
export function find(objects: readonly KubeObject[], kind: string, name: string): KubeObject {
  const found = objects.find((o) => o.kind === kind && o.metadata.name === name);
  if (!found)
    throw new Error(`No ${kind}/${name} among ${objects.map((o) => `${o.kind}/${o.metadata.name}`).join(', ')}`);
  return found;
}

export function has(objects: readonly KubeObject[], kind: string, name?: string): boolean {
  return objects.some((o) => o.kind === kind && (name === undefined || o.metadata.name === name));
}

export function specOf<T = Record<string, unknown>>(obj: KubeObject): T {
  return obj['spec'] as T;
}

/** The pod template of a Deployment, StatefulSet or Job. */
export function templateOf(obj: KubeObject): V1PodTemplateSpec {
  return specOf<{ template: V1PodTemplateSpec }>(obj).template;
}

export function mainContainer(obj: KubeObject): V1Container {
  return templateOf(obj).spec!.containers[0]!;
}

export function envVar(c: V1Container, name: string): V1EnvVar | undefined {
  return c.env?.find((e) => e.name === name);
}

/** Every object with a pod template. */
export function workloads(objects: readonly KubeObject[]): KubeObject[] {
  return objects.filter((o) => ['Deployment', 'StatefulSet', 'Job'].includes(o.kind));
}
