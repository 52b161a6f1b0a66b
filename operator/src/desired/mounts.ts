import type { V1EnvVar, V1Volume, V1VolumeMount } from '@kubernetes/client-node';

/** What one concern (keys, TLS, tenants) adds to a pod: env, volumes with their mounts, and pod annotations. */
export interface PodAdditions {
  env: V1EnvVar[];
  volumes: V1Volume[];
  volumeMounts: V1VolumeMount[];
  annotations: Record<string, string>;
}

/** Pure: the additions of several concerns as one, in the order given. */
export function combine(...parts: Partial<PodAdditions>[]): PodAdditions {
  return {
    env: parts.flatMap((a) => a.env ?? []),
    volumes: parts.flatMap((a) => a.volumes ?? []),
    volumeMounts: parts.flatMap((a) => a.volumeMounts ?? []),
    annotations: Object.assign({}, ...parts.map((a) => a.annotations ?? {})) as Record<string, string>,
  };
}
