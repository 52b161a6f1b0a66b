import { z } from 'zod';
import { int, ObjectName } from './kube-fields.ts';

// Pod placement and Service settings of each component (spec.<component>.pod, .service). A label key as
// Kubernetes checks it: an optional DNS-subdomain prefix and a 63-character name.
const LabelKey = z
  .string()
  .max(317)
  .regex(
    /^([a-z0-9]([-a-z0-9]*[a-z0-9])?(\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*\/)?[A-Za-z0-9]([-A-Za-z0-9_.]{0,61}[A-Za-z0-9])?$/,
    'must be a label key',
  );
const StringMap = (what: string) => z.record(z.string().max(317), z.string().max(65536)).describe(what);
// Kubernetes' own schemas for these are hundreds of lines: the CRD keeps them open, and the API server
// checks them when the operator applies the pod (a mistake shows up as ApplyFailed in Ready).
const OpenObject = (what: string) => z.record(z.string(), z.unknown()).describe(what);

const Toleration = z
  .object({
    key: z.string().max(317).optional().describe('Taint key; empty with operator Exists tolerates every taint.'),
    operator: z.enum(['Exists', 'Equal']).optional().describe('Exists or Equal (default Equal).'),
    value: z.string().max(63).optional().describe('Taint value, with operator Equal.'),
    effect: z
      .enum(['NoSchedule', 'PreferNoSchedule', 'NoExecute'])
      .optional()
      .describe('Taint effect to tolerate; empty: all.'),
    tolerationSeconds: z
      .number()
      .int()
      .optional()
      .describe('With NoExecute: how long the pod stays after the taint appears.'),
  })
  .describe('A core/v1 Toleration.');

const TopologySpreadConstraint = z
  .object({
    maxSkew: int(1, 1000).describe('Most the pod count may differ between two topology domains.'),
    topologyKey: LabelKey.describe('Node label whose values are the domains, e.g. topology.kubernetes.io/zone.'),
    whenUnsatisfiable: z
      .enum(['DoNotSchedule', 'ScheduleAnyway'])
      .describe('What the scheduler does when the skew cannot be kept.'),
    labelSelector: OpenObject("Pods counted (a metav1.LabelSelector). Unset: this component's pods.").optional(),
    minDomains: int(1, 1000).optional().describe('Fewest domains to spread over (with DoNotSchedule).'),
    matchLabelKeys: z
      .array(LabelKey.describe('A pod label key.'))
      .max(20)
      .optional()
      .describe('Pod label keys whose values narrow the pods counted, e.g. pod-template-hash.'),
    nodeAffinityPolicy: z
      .enum(['Honor', 'Ignore'])
      .optional()
      .describe('Whether nodeAffinity/nodeSelector limit the domains.'),
    nodeTaintsPolicy: z.enum(['Honor', 'Ignore']).optional().describe('Whether node taints limit the domains.'),
  })
  .describe('A core/v1 TopologySpreadConstraint.');

/** Where and how a component's pods run, beside what the operator sets itself. */
export const PodSettings = z
  .object({
    nodeSelector: StringMap('Node labels the pods must run on.').optional(),
    tolerations: z.array(Toleration).max(50).optional().describe('Taints the pods tolerate.'),
    affinity: z
      .object({
        nodeAffinity: OpenObject('A core/v1 NodeAffinity.').optional(),
        podAffinity: OpenObject('A core/v1 PodAffinity.').optional(),
        podAntiAffinity: OpenObject('A core/v1 PodAntiAffinity.').optional(),
      })
      .optional()
      .describe('A core/v1 Affinity: node affinity and pod (anti-)affinity.'),
    topologySpreadConstraints: z
      .array(TopologySpreadConstraint)
      .max(20)
      .optional()
      .describe(
        "How the pods spread over zones or nodes. A constraint without labelSelector counts this component's pods.",
      ),
    priorityClassName: ObjectName.optional().describe('PriorityClass of the pods.'),
    annotations: StringMap("Extra pod annotations. The operator's own (config hashes) win on a clash.").optional(),
    labels: StringMap(
      "Extra pod labels. The operator's own (app.kubernetes.io/*, the pipeline label) win on a clash.",
    ).optional(),
  })
  .describe(
    'Pod placement and metadata: nodeSelector, tolerations, affinity, topology spread, priority class, extra annotations and labels.',
  );

/** Settings of a component's Service(s). */
export const serviceAnnotations = () =>
  StringMap('Extra annotations of the Service(s), e.g. for a cloud load balancer.').optional();
export const ServiceSettings = z.object({ annotations: serviceAnnotations() }).describe("The component's Service(s).");
