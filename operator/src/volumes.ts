import { quantityValue } from '@instant-logs/schema';
import type { V1PersistentVolumeClaim, V1StatefulSetSpec } from '@kubernetes/client-node';
import { FIELD_MANAGER, PIPELINE_LABEL } from './desired/index.ts';
import { KubeApiError, type KubeClient, type KubeObject } from './kube/client.ts';
import { RESOURCES } from './kube/resources.ts';

/** A claim template of a StatefulSet whose requested storage the pipeline changed. */
export interface Resize {
  statefulSet: string;
  template: string;
  from: string;
  to: string;
}

/** Why volumes are not (yet) the size asked for: the Ready condition's reason and message, and an Event. */
export interface VolumeProblem {
  reason: 'VolumeShrinkRefused' | 'VolumeExpansionNotAllowed' | 'VolumeExpansionFailed' | 'ExpandingVolumes';
  message: string;
}

/** What the reconciler applies after looking at the volumes, and what it reports. */
export interface VolumePlan {
  /** The desired objects to apply: a StatefulSet being replaced is left out, a refused one keeps its live claims. */
  objects: KubeObject[];
  problems: VolumeProblem[];
  /** StatefulSets deleted (orphaning their pods and claims) or still going: re-created by a later reconcile. */
  replacing: string[];
}

type StatefulSet = KubeObject & { spec?: V1StatefulSetSpec };
type Claim = KubeObject & V1PersistentVolumeClaim;

const templatesOf = (o: KubeObject | undefined) => (o as StatefulSet | undefined)?.spec?.volumeClaimTemplates ?? [];
const sizeOf = (c: { spec?: { resources?: { requests?: Record<string, unknown> } } } | undefined) => {
  const s = c?.spec?.resources?.requests?.['storage'];
  return s === undefined ? undefined : String(s);
};

/** Pure: the claim templates whose requested storage differs between the desired and the live StatefulSet. */
export function resizes(want: KubeObject, live: KubeObject | undefined): Resize[] {
  const before = new Map(templatesOf(live).map((t) => [t.metadata?.name, sizeOf(t)]));
  return templatesOf(want).flatMap((t) => {
    const [from, to] = [before.get(t.metadata?.name), sizeOf(t)];
    if (from === undefined || to === undefined || quantityValue(from) === quantityValue(to)) return [];
    return [{ statefulSet: want.metadata.name, template: t.metadata!.name!, from, to }];
  });
}

/**
 * Claim templates are immutable, so a StatefulSet whose volumes grow is replaced: each of its claims
 * is patched to the new size (Kubernetes expands the volume in place), then the StatefulSet is
 * deleted leaving its pods and claims (`Orphan`), and a later reconcile creates it with the new
 * templates; it adopts the running pods, whose template did not change, so none restarts.
 * A shrink, or a StorageClass without allowVolumeExpansion, is refused and reported; the StatefulSet is
 * then applied with its live claim templates, so its other changes still roll out.
 */
export async function planVolumes(
  client: KubeClient,
  pipeline: KubeObject,
  objects: readonly KubeObject[],
  live: ReadonlyMap<string, KubeObject>,
): Promise<VolumePlan> {
  const plan: VolumePlan = { objects: [], problems: [], replacing: [] };
  for (const obj of objects) {
    const before = obj.kind === 'StatefulSet' ? live.get(obj.metadata.name) : undefined;
    if (before?.metadata.deletionTimestamp) {
      plan.replacing.push(obj.metadata.name);
      continue;
    }
    const changes = before ? resizes(obj, before) : [];
    if (changes.length === 0) {
      plan.objects.push(obj);
      continue;
    }
    const problem = await expand(client, pipeline, changes);
    if (problem) {
      plan.problems.push(problem);
      plan.objects.push(withSizesOf(obj, changes));
      continue;
    }
    await client.delete(RESOURCES.StatefulSet, obj.metadata.namespace, obj.metadata.name, 'Orphan');
    plan.replacing.push(obj.metadata.name);
  }
  if (plan.replacing.length > 0)
    plan.problems.push({
      reason: 'ExpandingVolumes',
      message: `re-creating StatefulSet ${plan.replacing.join(', ')} with larger volume claims; its pods keep running`,
    });
  return plan;
}

async function expand(client: KubeClient, pipeline: KubeObject, changes: Resize[]): Promise<VolumeProblem | undefined> {
  const shrink = changes.find((c) => quantityValue(c.to) < quantityValue(c.from));
  if (shrink)
    return {
      reason: 'VolumeShrinkRefused',
      message:
        `StatefulSet ${shrink.statefulSet}: volumes cannot shrink (${shrink.template} asks for ${shrink.to}, ` +
        `they have ${shrink.from}); set the storage size back to ${shrink.from} or more`,
    };
  const { namespace, name } = pipeline.metadata;
  const all = await client.list<Claim>(RESOURCES.PersistentVolumeClaim, namespace, `${PIPELINE_LABEL}=${name}`);
  // A StatefulSet's claims are <template>-<statefulset>-<ordinal>, those of pods scaled away included.
  const claims = changes.flatMap((c) =>
    all
      .filter((claim) => claimOf(claim.metadata.name, c))
      .filter((claim) => !(quantityValue(sizeOf(claim) ?? '0') >= quantityValue(c.to)))
      .map((claim) => ({ claim, to: c.to })),
  );
  for (const className of new Set(claims.map((c) => c.claim.spec?.storageClassName).filter((n) => n))) {
    const refusal = await expansionRefused(client, className!);
    if (refusal)
      return {
        reason: 'VolumeExpansionNotAllowed',
        message:
          `StorageClass ${className} ${refusal}: the claims of StatefulSet ${changes[0]!.statefulSet} stay at ` +
          `${changes[0]!.from}; use a class that allows expansion, or set the size back`,
      };
  }
  for (const { claim, to } of claims) {
    try {
      await client.apply(
        RESOURCES.PersistentVolumeClaim,
        {
          apiVersion: 'v1',
          kind: 'PersistentVolumeClaim',
          metadata: { name: claim.metadata.name, namespace },
          spec: { resources: { requests: { storage: to } } },
        },
        FIELD_MANAGER,
      );
    } catch (err) {
      if (!(err instanceof KubeApiError)) throw err;
      return {
        reason: 'VolumeExpansionFailed',
        message: `PersistentVolumeClaim ${claim.metadata.name}: ${err.detail}`,
      };
    }
  }
  return undefined;
}

function claimOf(claim: string, c: Resize): boolean {
  const prefix = `${c.template}-${c.statefulSet}-`;
  return claim.startsWith(prefix) && /^[0-9]+$/.test(claim.slice(prefix.length));
}

// Read when it may be (the operator watching one namespace has no cluster-wide grant): otherwise the
// API server's own refusal of the patch is reported.
async function expansionRefused(client: KubeClient, className: string): Promise<string | undefined> {
  try {
    const sc = await client.get<KubeObject & { allowVolumeExpansion?: boolean }>(
      RESOURCES.StorageClass,
      undefined,
      className,
    );
    if (!sc) return 'does not exist';
    return sc.allowVolumeExpansion === true ? undefined : 'does not allow volume expansion (allowVolumeExpansion)';
  } catch (err) {
    if (err instanceof KubeApiError && err.status === 403) return undefined;
    throw err;
  }
}

// The desired templates at the sizes the live ones have: an apply that changes nothing the API server refuses.
function withSizesOf(want: KubeObject, changes: readonly Resize[]): KubeObject {
  const spec = (want as StatefulSet).spec!;
  const sized = templatesOf(want).map((t) => {
    const from = changes.find((c) => c.template === t.metadata?.name)?.from;
    if (from === undefined) return t;
    return { ...t, spec: { ...t.spec, resources: { ...t.spec?.resources, requests: { storage: from } } } };
  });
  return { ...want, spec: { ...spec, volumeClaimTemplates: sized } } as KubeObject;
}
