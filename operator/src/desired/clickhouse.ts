import type { LogPipeline } from '@instant-logs/schema';
import type { V1EnvVar, V1StatefulSetSpec } from '@kubernetes/client-node';
import type { KubeObject } from '../kube/client.ts';
import { CLICKHOUSE_DATA_DIR, PASSWORD_ENV, SERVER_CONFIG, usersConfig } from './clickhouse-config.ts';
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

/**
 * Pure: a managed ClickHouse — credentials Secret, config ConfigMap, headless and ClusterIP Services,
 * and a one-replica StatefulSet with a persistent volume. Nothing for an external ClickHouse.
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
  const configData = { 'server.xml': SERVER_CONFIG, 'users.xml': usersConfig(MANAGED_USER) };
  const configMap: KubeObject = {
    apiVersion: 'v1',
    kind: 'ConfigMap',
    metadata: objectMeta(p, names.clickhouse, 'clickhouse'),
    data: configData,
  };

  const ports = [
    { name: 'http', port: PORTS.clickhouseHttp, targetPort: PORTS.clickhouseHttp },
    { name: 'native', port: PORTS.clickhouseNative, targetPort: PORTS.clickhouseNative },
  ];
  const headless = service(p, names.clickhouseHeadless, 'clickhouse', ports, { clusterIP: 'None' });
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
        configMap: { name: names.clickhouse, items: [{ key: 'server.xml', path: 'instant-logs.xml' }] },
      },
      { name: 'users', configMap: { name: names.clickhouse, items: [{ key: 'users.xml', path: 'instant-logs.xml' }] } },
    ],
  });
  const spec: V1StatefulSetSpec = {
    serviceName: names.clickhouseHeadless,
    replicas: managed.replicas,
    persistentVolumeClaimRetentionPolicy: { ...managed.persistentVolumeClaimRetentionPolicy },
    selector: { matchLabels: selectorLabels(p, 'clickhouse') },
    // The server reads listen_host and ports only at start: a config change rolls the pod.
    template: podTemplate(p, 'clickhouse', pod, {
      [CONFIG_HASH_ANNOTATION]: shortHash(configData),
      ...credentialsAnnotations(p, ctx),
    }),
    volumeClaimTemplates: [
      {
        // The claim outlives the pipeline; its labels find it (kubectl get pvc -l logging.instantdev.io/pipeline=<name>).
        // Claim templates are immutable: only labels that never change.
        metadata: { name: 'data', labels: { ...selectorLabels(p, 'clickhouse'), [PIPELINE_LABEL]: p.metadata.name } },
        spec: {
          accessModes: ['ReadWriteOnce'],
          ...(managed.storage.storageClassName ? { storageClassName: managed.storage.storageClassName } : {}),
          resources: { requests: { storage: String(managed.storage.size) } },
        },
      },
    ],
  };
  const statefulSet: KubeObject = {
    apiVersion: 'apps/v1',
    kind: 'StatefulSet',
    metadata: objectMeta(p, names.clickhouse, 'clickhouse'),
    spec,
  };
  return [
    secret,
    configMap,
    headless,
    clusterIp,
    statefulSet,
    ...disruptionBudget(p, names.clickhouse, 'clickhouse', managed.replicas),
  ];
}
