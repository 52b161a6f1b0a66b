import type { LogPipeline } from '@instant-logs/schema';
import type { PodAdditions } from './mounts.ts';

/** Where the keys file Secret is mounted in the collector and query pods. */
export const KEYS_DIR = '/etc/instant-logs/keys';

/**
 * Pure: how the collector and query service learn their API keys. The hashed keys file is a Secret
 * volume, never env or subPath: only a whole-volume mount is updated in place by the kubelet, which
 * is what lets the services pick up rotated keys without a restart. The plaintext API_KEYS env stays
 * for pipelines written before the keys file.
 */
export function authAdditions(p: LogPipeline): Partial<PodAdditions> {
  const plain = p.spec.collector.apiKeysSecretRef;
  const file = p.spec.auth.keysSecretRef;
  // Without keys the pipeline is open by the user's choice (spec docs), which the services require spelled out.
  if (!plain && !file) return { env: [{ name: 'ALLOW_UNAUTHENTICATED', value: 'true' }] };
  return {
    env: [
      ...(plain ? [{ name: 'API_KEYS', valueFrom: { secretKeyRef: { name: plain.name, key: plain.key } } }] : []),
      ...(file ? [{ name: 'API_KEYS_FILE', value: `${KEYS_DIR}/${file.key}` }] : []),
    ],
    volumes: file ? [{ name: 'api-keys', secret: { secretName: file.name } }] : [],
    volumeMounts: file ? [{ name: 'api-keys', mountPath: KEYS_DIR, readOnly: true }] : [],
  };
}
