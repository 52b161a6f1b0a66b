import type { LogPipeline } from '@instant-logs/schema';
import type { KubeObject } from '../kube/client.ts';
import { shortHash } from './hash.ts';
import { TENANTS_HASH_ANNOTATION } from './labels.ts';
import type { PodAdditions } from './mounts.ts';
import { namesOf } from './names.ts';
import { objectMeta } from './owner.ts';

/** Where the tenants ConfigMap is mounted in the collector pods, and its one key. */
export const TENANTS_DIR = '/etc/instant-logs/tenants';
export const TENANTS_KEY = 'tenants.json';

/** One tenant's limits as the collector's TENANTS_FILE spells them. */
export interface TenantLimits {
  retentionDays?: number;
  recordsPerSecond?: number;
  bytesPerSecond?: number;
  burstSeconds?: number;
}

/** The TENANTS_FILE document. */
export interface TenantsFile {
  defaults: TenantLimits;
  tenants: Record<string, TenantLimits>;
}

// Fixed key order and no undefined members, so the same spec always gives the same text (and hash).
function limitsOf(l: TenantLimits): TenantLimits {
  const out: TenantLimits = {};
  for (const key of ['retentionDays', 'recordsPerSecond', 'bytesPerSecond', 'burstSeconds'] as const)
    if (l[key] !== undefined) out[key] = l[key];
  return out;
}

/** Pure: the tenants file of the pipeline, or undefined when it sets neither tenants nor tenantDefaults. */
export function tenantsFile(p: LogPipeline): TenantsFile | undefined {
  const { tenants, tenantDefaults } = p.spec;
  if (tenants.length === 0 && tenantDefaults === undefined) return undefined;
  return {
    defaults: limitsOf(tenantDefaults ?? {}),
    tenants: Object.fromEntries(tenants.map(({ name, ...limits }) => [name, limitsOf(limits)])),
  };
}

/** Pure: the ConfigMap `<name>-tenants` holding tenants.json, or nothing when the pipeline has no tenant settings. */
export function tenantsConfigMap(p: LogPipeline): KubeObject[] {
  const file = tenantsFile(p);
  if (!file) return [];
  return [
    {
      apiVersion: 'v1',
      kind: 'ConfigMap',
      metadata: objectMeta(p, namesOf(p).tenants, 'collector'),
      data: { [TENANTS_KEY]: `${JSON.stringify(file, null, 2)}\n` },
    },
  ];
}

/**
 * Pure: the tenants file mounted into the collector, with TENANTS_FILE naming it and a hash of it on
 * the pod template: the collector reads the file at start, so a change must roll its pods.
 */
export function tenantsAdditions(p: LogPipeline): Partial<PodAdditions> {
  const file = tenantsFile(p);
  if (!file) return {};
  return {
    env: [{ name: 'TENANTS_FILE', value: `${TENANTS_DIR}/${TENANTS_KEY}` }],
    volumes: [{ name: 'tenants', configMap: { name: namesOf(p).tenants } }],
    volumeMounts: [{ name: 'tenants', mountPath: TENANTS_DIR, readOnly: true }],
    annotations: { [TENANTS_HASH_ANNOTATION]: shortHash(file) },
  };
}
