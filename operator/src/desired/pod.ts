import type { LogPipeline } from '@instant-logs/schema';
import type {
  V1Container,
  V1ContainerPort,
  V1EnvFromSource,
  V1EnvVar,
  V1PodSpec,
  V1PodTemplateSpec,
  V1Probe,
  V1ResourceRequirements,
  V1Volume,
  V1VolumeMount,
} from '@kubernetes/client-node';
import { labelsFor, type Component } from './labels.ts';
import { placement, podSettingsOf } from './placement.ts';

/** The uid and gid the project's images run as. */
export const APP_UID = 10001;

/** Requests and limits as the LogPipeline spec holds them: quantity strings, or whole numbers. */
export interface Resources {
  requests: { cpu: string | number; memory: string | number };
  limits: { cpu: string | number; memory: string | number };
}

export interface ContainerOptions {
  name: string;
  image: string;
  resources: Resources;
  /** The port a service listens on (named `http`), probed at /healthz and /readyz. Omit for a run-to-completion container. */
  port?: number;
  /** How the kubelet probes `port`: HTTP (default), HTTPS, or a bare TCP connect. */
  probe?: 'http' | 'https' | 'tcp';
  /**
   * Probe on this port instead (named `probe`, set as PROBE_PORT): plain HTTP answered by the
   * service's probe thread, so a flood never delays a probe and TLS or client certificates never get in its way.
   */
  probePort?: number;
  /** Ports besides `http`, e.g. the collector's syslog listeners. */
  extraPorts?: V1ContainerPort[];
  command?: string[];
  args?: string[];
  env?: V1EnvVar[];
  envFrom?: V1EnvFromSource[];
  volumeMounts?: V1VolumeMount[];
}

/** Pure: a hardened container (non-root, read-only root filesystem, no capabilities) with a writable /tmp. */
export function container(p: LogPipeline, o: ContainerOptions): V1Container {
  const probePorts = o.probePort !== undefined ? [{ name: 'probe', containerPort: o.probePort }] : [];
  const env = [
    ...(o.env ?? []),
    ...(o.probePort !== undefined ? [{ name: 'PROBE_PORT', value: String(o.probePort) }] : []),
  ];
  const probeOn = (path: string): V1Probe =>
    o.probePort !== undefined ? { httpGet: { path, port: 'probe' } } : httpProbe(path, o.probe);
  return {
    name: o.name,
    image: o.image,
    imagePullPolicy: p.spec.images.pullPolicy,
    ...(o.command ? { command: o.command } : {}),
    ...(o.args ? { args: o.args } : {}),
    ...(o.port !== undefined
      ? { ports: [{ name: 'http', containerPort: o.port }, ...probePorts, ...(o.extraPorts ?? [])] }
      : {}),
    ...(o.envFrom?.length ? { envFrom: o.envFrom } : {}),
    ...(env.length ? { env } : {}),
    resources: resourcesOf(o.resources),
    ...(o.port !== undefined ? { livenessProbe: probeOn('/healthz'), readinessProbe: probeOn('/readyz') } : {}),
    securityContext: {
      runAsNonRoot: true,
      allowPrivilegeEscalation: false,
      readOnlyRootFilesystem: true,
      capabilities: { drop: ['ALL'] },
    },
    volumeMounts: [{ name: 'tmp', mountPath: '/tmp' }, ...(o.volumeMounts ?? [])],
  };
}

/** Pure: a GET probe on the container port named `http` (or a TCP connect to it); timings are left to the API server's defaults. */
export function httpProbe(path: string, kind: 'http' | 'https' | 'tcp' = 'http'): V1Probe {
  if (kind === 'tcp') return { tcpSocket: { port: 'http' } };
  return { httpGet: { path, port: 'http', ...(kind === 'https' ? { scheme: 'HTTPS' } : {}) } };
}

/** Pure: the spec's requests and limits, as strings: the form the API server stores and gives back. */
export function resourcesOf(r: Resources): V1ResourceRequirements {
  return {
    requests: { cpu: String(r.requests.cpu), memory: String(r.requests.memory) },
    limits: { cpu: String(r.limits.cpu), memory: String(r.limits.memory) },
  };
}

export interface PodOptions {
  /** uid and gid; default the project's images' user. */
  uid?: number;
  /** Group that owns mounted volumes, for containers that write to a persistent volume. */
  fsGroup?: number;
  volumes?: V1Volume[];
  restartPolicy?: 'OnFailure' | 'Never';
}

/** Pure: a pod spec with the hardened pod security context, no service account token and the /tmp emptyDir. */
export function podSpec(containers: V1Container[], o: PodOptions = {}): V1PodSpec {
  const uid = o.uid ?? APP_UID;
  return {
    ...(o.restartPolicy ? { restartPolicy: o.restartPolicy } : {}),
    // No container talks to the Kubernetes API.
    automountServiceAccountToken: false,
    securityContext: {
      runAsNonRoot: true,
      runAsUser: uid,
      runAsGroup: uid,
      ...(o.fsGroup !== undefined ? { fsGroup: o.fsGroup } : {}),
      seccompProfile: { type: 'RuntimeDefault' },
    },
    containers,
    volumes: [{ name: 'tmp', emptyDir: {} }, ...(o.volumes ?? [])],
  };
}

/**
 * Pure: a pod template labelled for its component, placed by its pod settings (nodeSelector,
 * tolerations, affinity, spread, priority, pull secrets), with the settings' extra labels and
 * annotations under the operator's own (e.g. a config hash that rolls the pods), which win on a clash.
 */
export function podTemplate(
  p: LogPipeline,
  component: Component,
  spec: V1PodSpec,
  annotations: Record<string, string> = {},
): V1PodTemplateSpec {
  const settings = podSettingsOf(p, component);
  const allAnnotations = { ...settings.annotations, ...annotations };
  return {
    metadata: {
      labels: { ...settings.labels, ...labelsFor(p, component) },
      ...(Object.keys(allAnnotations).length ? { annotations: allAnnotations } : {}),
    },
    spec: { ...spec, ...placement(p, component) },
  };
}
