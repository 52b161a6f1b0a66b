import type { LogPipeline } from '@instant-logs/schema';
import type { V1EnvVar, V1PodSpec, V1PodTemplateSpec, V1StatefulSetSpec } from '@kubernetes/client-node';
import type { KubeObject } from '../kube/client.ts';
import { CLICKHOUSE_DATA_DIR, PASSWORD_ENV, SERVER_CONFIG, usersConfig } from './clickhouse-config.ts';
import {
  clusterConfig,
  INTERSERVER_PORT,
  managedCluster,
  REPLICA_ENV,
  SHARD_ENV,
  shardStatefulSetName,
} from './clickhouse-cluster.ts';
import { PORTS, type DesiredContext } from './context.ts';
import { disruptionBudget } from './disruption.ts';
import { shortHash } from './hash.ts';
import { CONFIG_HASH_ANNOTATION, CREDENTIALS_HASH_ANNOTATION, PIPELINE_LABEL, selectorLabels } from './labels.ts';
import { namesOf } from './names.ts';
import { objectMeta } from './owner.ts';
import { container, httpProbe, podSpec, podTemplate } from './pod.ts';
import { service } from './workload.ts';

/** The user and database of a managed ClickHouse. */
export const MANAGED_USER = 'instant_logs';
export const MANAGED_DATABASE = 'instant_logs';

// The clickhouse user of the official image.
const CLICKHOUSE_UID = 101;

/** Pure: the URL and database the pipeline's services use, managed or external. */
export function clickhouseEndpoint(p: LogPipeline): { url: string; database: string } {
  const { external } = p.spec.clickhouse;
  if (external) return { url: external.url, database: external.database };
  return { url: `http://${namesOf(p).clickhouse}:${PORTS.clickhouseHttp}`, database: MANAGED_DATABASE };
}

/** Pure: CLICKHOUSE_USER and CLICKHOUSE_PASSWORD from the credentials Secret (ours when managed, the user's when external). */
export function clickhouseCredentialsEnv(p: LogPipeline): V1EnvVar[] {
  const ref = p.spec.clickhouse.external?.credentialsSecretRef ?? {
    name: namesOf(p).clickhouseCredentials,
    usernameKey: 'username',
    passwordKey: 'password',
  };
  return [
    { name: 'CLICKHOUSE_USER', valueFrom: { secretKeyRef: { name: ref.name, key: ref.usernameKey } } },
    { name: 'CLICKHOUSE_PASSWORD', valueFrom: { secretKeyRef: { name: ref.name, key: ref.passwordKey } } },
  ];
}

/**
 * Pure: the pod annotation that rolls a reader of the managed password when it changes; none for an
 * external ClickHouse. The password is 24 random bytes, so its hash gives nothing away.
 */
export function credentialsAnnotations(p: LogPipeline, ctx: DesiredContext): Record<string, string> {
  return p.spec.clickhouse.managed && ctx.clickhousePassword !== undefined
    ? { [CREDENTIALS_HASH_ANNOTATION]: shortHash(ctx.clickhousePassword) }
    : {};
}

/** The label that tells one shard's pods from another's. */
export const SHARD_LABEL = 'logging.instantdev.io/shard';

/**
 * Pure: a managed ClickHouse — credentials Secret, config ConfigMap, headless and ClusterIP Services,
 * and a one-replica StatefulSet with a persistent volume; for a cluster, one StatefulSet per shard
 * (its pods the shard's replicas) and the cluster's config. Nothing for an external ClickHouse.
 * Throws when managed and `ctx.clickhousePassword` is missing: the reconciler must supply it.
 */
export function clickhouse(p: LogPipeline, ctx: DesiredContext): KubeObject[] {
  const managed = p.spec.clickhouse.managed;
  if (!managed) return [];
  if (ctx.clickhousePassword === undefined) {
    throw new Error(
      `Cannot build the managed ClickHouse of LogPipeline ${p.metadata.name}: the reconciler supplied no clickhousePassword`,
    );
  }
  const names = namesOf(p);
  const base64 = (s: string) => Buffer.from(s, 'utf8').toString('base64');
  // `data`, not `stringData`: the API server never stores stringData, so applying it would never look settled.
  const secret: KubeObject = {
    apiVersion: 'v1',
    kind: 'Secret',
    metadata: objectMeta(p, names.clickhouseCredentials, 'clickhouse'),
    data: { username: base64(MANAGED_USER), password: base64(ctx.clickhousePassword) },
  };
  const cluster = managedCluster(p);
  const configData: Record<string, string> = { 'server.xml': SERVER_CONFIG, 'users.xml': usersConfig(MANAGED_USER) };
  if (cluster) configData['cluster.xml'] = clusterConfig(p, cluster, MANAGED_USER);
  const configMap: KubeObject = {
    apiVersion: 'v1',
    kind: 'ConfigMap',
    metadata: objectMeta(p, names.clickhouse, 'clickhouse'),
    data: configData,
  };

  const ports = [
    { name: 'http', port: PORTS.clickhouseHttp, targetPort: PORTS.clickhouseHttp },
    { name: 'native', port: PORTS.clickhouseNative, targetPort: PORTS.clickhouseNative },
    ...(cluster?.replicated ? [{ name: 'interserver', port: INTERSERVER_PORT, targetPort: INTERSERVER_PORT }] : []),
  ];
  // Servers of a cluster must find each other by name while they start, before any is ready.
  const headless = service(p, names.clickhouseHeadless, 'clickhouse', ports, {
    clusterIP: 'None',
    ...(cluster ? { publishNotReadyAddresses: true } : {}),
  });
  const clusterIp = service(p, names.clickhouse, 'clickhouse', ports);

  const server = {
    ...container(p, {
      name: 'clickhouse',
      image: managed.image,
      resources: managed.resources,
      // The server itself, not the image's entrypoint: the entrypoint writes into /etc, which is read-only here.
      command: ['/usr/bin/clickhouse-server'],
      args: ['--config-file=/etc/clickhouse-server/config.xml'],
      env: [
        { name: PASSWORD_ENV, valueFrom: { secretKeyRef: { name: names.clickhouseCredentials, key: 'password' } } },
        ...(cluster
          ? [
              { name: REPLICA_ENV, valueFrom: { fieldRef: { fieldPath: 'metadata.name' } } },
              {
                name: `${REPLICA_ENV}_HOST`,
                value: `$(${REPLICA_ENV}).${names.clickhouseHeadless}.${p.metadata.namespace}.svc`,
              },
            ]
          : []),
      ],
      volumeMounts: [
        { name: 'data', mountPath: CLICKHOUSE_DATA_DIR },
        { name: 'config', mountPath: '/etc/clickhouse-server/config.d' },
        { name: 'users', mountPath: '/etc/clickhouse-server/users.d' },
      ],
    }),
    ports: [
      { name: 'http', containerPort: PORTS.clickhouseHttp },
      { name: 'native', containerPort: PORTS.clickhouseNative },
      ...(cluster?.replicated ? [{ name: 'interserver', containerPort: INTERSERVER_PORT }] : []),
    ],
    // ClickHouse answers /ping once it serves queries; loading a large data set can take minutes.
    startupProbe: { ...httpProbe('/ping'), failureThreshold: 60 },
    livenessProbe: httpProbe('/ping'),
    readinessProbe: httpProbe('/ping'),
  };
  const pod = podSpec([server], {
    uid: CLICKHOUSE_UID,
    fsGroup: CLICKHOUSE_UID,
    volumes: [
      {
        name: 'config',
        // cluster.xml sorts after instant-logs.xml, so it is merged last (it re-opens the interserver port).
        configMap: {
          name: names.clickhouse,
          items: [
            { key: 'server.xml', path: 'instant-logs.xml' },
            ...(cluster ? [{ key: 'cluster.xml', path: 'remote-servers.xml' }] : []),
          ],
        },
      },
      { name: 'users', configMap: { name: names.clickhouse, items: [{ key: 'users.xml', path: 'instant-logs.xml' }] } },
    ],
  });
  const annotations = { [CONFIG_HASH_ANNOTATION]: shortHash(configData), ...credentialsAnnotations(p, ctx) };
  // One server: the StatefulSet as it always was. A cluster: one per shard, its pods the shard's
  // replicas, so a rolling change takes one replica of one shard at a time, never a whole shard.
  const statefulSets = cluster
    ? Array.from({ length: cluster.shards }, (_, i) => {
        const shard = { [SHARD_LABEL]: String(i + 1) };
        const template = podTemplate(p, 'clickhouse', withShardEnv(pod, i + 1), annotations);
        template.metadata = { ...template.metadata, labels: { ...template.metadata?.labels, ...shard } };
        return statefulSet(p, shardStatefulSetName(p, i + 1), cluster.replicas, template, shard);
      })
    : [statefulSet(p, names.clickhouse, managed.replicas, podTemplate(p, 'clickhouse', pod, annotations), {})];
  return [
    secret,
    configMap,
    headless,
    clusterIp,
    ...statefulSets,
    // One pod of the whole cluster at a time: with one replica a shard, that one shard is briefly down.
    ...disruptionBudget(p, names.clickhouse, 'clickhouse', managed.replicas * managed.shards),
  ];
}

function withShardEnv(pod: V1PodSpec, shard: number): V1PodSpec {
  return {
    ...pod,
    containers: pod.containers.map((c) => ({
      ...c,
      env: [...(c.env ?? []), { name: SHARD_ENV, value: String(shard) }],
    })),
  };
}

function statefulSet(
  p: LogPipeline,
  name: string,
  replicas: number,
  template: V1PodTemplateSpec,
  shardSelector: Record<string, string>,
): KubeObject {
  const managed = p.spec.clickhouse.managed!;
  const spec: V1StatefulSetSpec = {
    serviceName: namesOf(p).clickhouseHeadless,
    replicas,
    persistentVolumeClaimRetentionPolicy: { ...managed.persistentVolumeClaimRetentionPolicy },
    selector: { matchLabels: { ...selectorLabels(p, 'clickhouse'), ...shardSelector } },
    // The server reads listen_host and ports only at start: a config change rolls the pod.
    template,
    volumeClaimTemplates: [
      {
        // The claim outlives the pipeline; its labels find it (kubectl get pvc -l logging.instantdev.io/pipeline=<name>).
        // Claim templates are immutable: only labels that never change.
        metadata: {
          name: 'data',
          labels: { ...selectorLabels(p, 'clickhouse'), [PIPELINE_LABEL]: p.metadata.name, ...shardSelector },
        },
        spec: {
          accessModes: ['ReadWriteOnce'],
          ...(managed.storage.storageClassName ? { storageClassName: managed.storage.storageClassName } : {}),
          resources: { requests: { storage: String(managed.storage.size) } },
        },
      },
    ],
  };
  return { apiVersion: 'apps/v1', kind: 'StatefulSet', metadata: objectMeta(p, name, 'clickhouse'), spec };
}
