import type { LogPipeline } from '@instant-logs/schema';
import type { V1StatefulSetSpec } from '@kubernetes/client-node';
import type { KubeObject } from '../kube/client.ts';
import { disruptionBudget } from './disruption.ts';
import { shortHash } from './hash.ts';
import { CONFIG_HASH_ANNOTATION, PIPELINE_LABEL, selectorLabels } from './labels.ts';
import { namesOf } from './names.ts';
import { objectMeta } from './owner.ts';
import { container, podSpec, podTemplate } from './pod.ts';
import { service } from './workload.ts';

/** Where ClickHouse (and `clickhouse-keeper client`) talks to Keeper. */
export const KEEPER_CLIENT_PORT = 9181;
/** Where Keeper servers replicate to each other (raft). */
export const KEEPER_RAFT_PORT = 9234;
/**
 * Keeper's HTTP control port: `/ready` answers 200 once the server is in a quorum with a leader.
 * https://clickhouse.com/docs/operations/utilities/clickhouse-keeper-http-api
 */
export const KEEPER_CONTROL_PORT = 9182;
/** The environment variable the server reads its raft id from (`from_env`); set by the start script. */
export const KEEPER_ID_ENV = 'KEEPER_SERVER_ID';

const KEEPER_DATA_DIR = '/var/lib/clickhouse-keeper';
const KEEPER_CONFIG = '/etc/clickhouse-keeper/keeper_config.xml';
// The clickhouse user of the official image.
const KEEPER_UID = 101;

/**
 * The container's command: the raft id is the pod's ordinal (the end of its hostname, as the
 * StatefulSet names it) plus one, since ids start at 1, so every pod reads the same ConfigMap.
 */
export const KEEPER_START_SCRIPT =
  `ordinal="\${HOSTNAME##*-}"; case "$ordinal" in ''|*[!0-9]*) ` +
  `echo "cannot take a Keeper server id from hostname $HOSTNAME" >&2; exit 1;; esac; ` +
  `export ${KEEPER_ID_ENV}=$((ordinal + 1)); exec clickhouse-keeper --config-file=${KEEPER_CONFIG}`;

/** The Keeper the operator runs for a managed ClickHouse, as the spec holds it. */
export type ManagedKeeper = NonNullable<
  NonNullable<NonNullable<LogPipeline['spec']['clickhouse']['managed']>['keeper']>['managed']
>;

/** Pure: the managed Keeper's settings when the operator runs one (replicated shards only), else undefined. */
export function managedKeeper(p: LogPipeline): ManagedKeeper | undefined {
  const m = p.spec.clickhouse.managed;
  return m && m.replicas > 1 ? m.keeper?.managed : undefined;
}

/** Pure: each Keeper server's DNS name through the headless Service, by ordinal. */
export function keeperHosts(p: LogPipeline, replicas: number): string[] {
  const names = namesOf(p);
  return Array.from(
    { length: replicas },
    (_, i) => `${names.keeper}-${i}.${names.keeperHeadless}.${p.metadata.namespace}.svc`,
  );
}

/** Pure: the host:port list ClickHouse's `zookeeper` section names for the managed Keeper. */
export function managedKeeperNodes(p: LogPipeline): string[] {
  const k = managedKeeper(p);
  return k ? keeperHosts(p, k.replicas).map((h) => `${h}:${KEEPER_CLIENT_PORT}`) : [];
}

/**
 * Pure: the whole clickhouse-keeper config (the image's own is replaced): client, raft and control
 * ports, data under the volume, logs to the console, and every server of the ensemble by its DNS name.
 * https://clickhouse.com/docs/guides/sre/keeper/clickhouse-keeper
 */
export function keeperConfig(p: LogPipeline, replicas: number): string {
  const servers = keeperHosts(p, replicas).map(
    (host, i) =>
      `            <server><id>${i + 1}</id><hostname>${host}</hostname><port>${KEEPER_RAFT_PORT}</port></server>`,
  );
  return [
    '<clickhouse>',
    '    <listen_host>0.0.0.0</listen_host>',
    `    <path>${KEEPER_DATA_DIR}/</path>`,
    '    <logger>',
    '        <level>information</level>',
    '        <console>1</console>',
    '    </logger>',
    '    <keeper_server>',
    `        <tcp_port>${KEEPER_CLIENT_PORT}</tcp_port>`,
    `        <server_id from_env="${KEEPER_ID_ENV}"/>`,
    `        <storage_path>${KEEPER_DATA_DIR}/coordination</storage_path>`,
    `        <log_storage_path>${KEEPER_DATA_DIR}/coordination/log</log_storage_path>`,
    `        <snapshot_storage_path>${KEEPER_DATA_DIR}/coordination/snapshots</snapshot_storage_path>`,
    '        <coordination_settings>',
    '            <operation_timeout_ms>10000</operation_timeout_ms>',
    '            <session_timeout_ms>30000</session_timeout_ms>',
    '            <raft_logs_level>warning</raft_logs_level>',
    '        </coordination_settings>',
    `        <http_control><port>${KEEPER_CONTROL_PORT}</port><readiness><endpoint>/ready</endpoint></readiness></http_control>`,
    '        <raft_configuration>',
    ...servers,
    '        </raft_configuration>',
    '    </keeper_server>',
    '</clickhouse>',
    '',
  ].join('\n');
}

/**
 * Pure: the managed Keeper ensemble — ConfigMap, headless Service, StatefulSet and a
 * PodDisruptionBudget allowing one server down; nothing unless the spec asks the operator to run it.
 */
export function keeper(p: LogPipeline): KubeObject[] {
  const k = managedKeeper(p);
  if (!k) return [];
  const names = namesOf(p);
  const configData = { 'keeper_config.xml': keeperConfig(p, k.replicas) };
  const configMap: KubeObject = {
    apiVersion: 'v1',
    kind: 'ConfigMap',
    metadata: objectMeta(p, names.keeper, 'keeper'),
    data: configData,
  };
  const ports = [
    { name: 'client', port: KEEPER_CLIENT_PORT, targetPort: KEEPER_CLIENT_PORT },
    { name: 'raft', port: KEEPER_RAFT_PORT, targetPort: KEEPER_RAFT_PORT },
  ];
  // Servers must find each other to form a quorum, and none is ready before there is one.
  const headless = service(p, names.keeperHeadless, 'keeper', ports, {
    clusterIP: 'None',
    publishNotReadyAddresses: true,
  });
  const server = {
    ...container(p, {
      name: 'keeper',
      image: k.image,
      resources: k.resources,
      command: ['/bin/sh', '-c', KEEPER_START_SCRIPT],
      volumeMounts: [
        { name: 'data', mountPath: KEEPER_DATA_DIR },
        { name: 'config', mountPath: '/etc/clickhouse-keeper' },
      ],
    }),
    ports: [
      { name: 'client', containerPort: KEEPER_CLIENT_PORT },
      { name: 'raft', containerPort: KEEPER_RAFT_PORT },
      { name: 'control', containerPort: KEEPER_CONTROL_PORT },
    ],
    livenessProbe: { tcpSocket: { port: 'client' }, initialDelaySeconds: 10 },
    readinessProbe: { httpGet: { path: '/ready', port: 'control' } },
  };
  const pod = podSpec([server], {
    uid: KEEPER_UID,
    fsGroup: KEEPER_UID,
    volumes: [{ name: 'config', configMap: { name: names.keeper } }],
  });
  const managed = p.spec.clickhouse.managed!;
  const spec: V1StatefulSetSpec = {
    serviceName: names.keeperHeadless,
    replicas: k.replicas,
    // All at once: one server alone has no quorum, so never becomes ready, and OrderedReady would wait forever.
    podManagementPolicy: 'Parallel',
    persistentVolumeClaimRetentionPolicy: { ...managed.persistentVolumeClaimRetentionPolicy },
    selector: { matchLabels: selectorLabels(p, 'keeper') },
    template: podTemplate(p, 'keeper', pod, { [CONFIG_HASH_ANNOTATION]: shortHash(configData) }),
    volumeClaimTemplates: [
      {
        metadata: { name: 'data', labels: { ...selectorLabels(p, 'keeper'), [PIPELINE_LABEL]: p.metadata.name } },
        spec: {
          accessModes: ['ReadWriteOnce'],
          ...(k.storage.storageClassName ? { storageClassName: k.storage.storageClassName } : {}),
          resources: { requests: { storage: String(k.storage.size) } },
        },
      },
    ],
  };
  const statefulSet: KubeObject = {
    apiVersion: 'apps/v1',
    kind: 'StatefulSet',
    metadata: objectMeta(p, names.keeper, 'keeper'),
    spec,
  };
  return [configMap, headless, statefulSet, ...disruptionBudget(p, names.keeper, 'keeper', k.replicas)];
}
