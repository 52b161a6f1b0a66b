import type { LogPipeline } from '@instant-logs/schema';
import type { KubeObject } from '../kube/client.ts';
import { clickhouseCredentialsEnv, credentialsAnnotations } from './clickhouse.ts';
import { PORTS, type DesiredContext } from './context.ts';
import { disruptionBudget } from './disruption.ts';
import { kafkaBootstrap } from './kafka.ts';
import { namesOf } from './names.ts';
import { objectMeta } from './owner.ts';
import { sharedSettingsEnv } from './pipeline-config.ts';
import { container, podSpec, podTemplate } from './pod.ts';
import { deployment, service } from './workload.ts';
import { telemetryEnv } from './telemetry.ts';

const CPU_TARGET_PERCENT = 70;

/**
 * Pure: the processor's Deployment, a Service for metrics scrapes, and its autoscaler: a KEDA
 * ScaledObject on consumer lag when KEDA is installed, else a CPU HorizontalPodAutoscaler — never
 * both, KEDA makes and owns an HPA of its own. The Deployment has no `replicas`: the autoscaler owns it.
 */
export function processor(p: LogPipeline, ctx: DesiredContext): KubeObject[] {
  const { minReplicas, maxReplicas, lagThreshold, batch, idempotencyWindowSeconds, resources } = p.spec.processor;
  const names = namesOf(p);
  const shared = sharedSettingsEnv(p);
  const main = container(p, {
    name: 'processor',
    image: p.spec.images.processor,
    resources,
    port: PORTS.processor,
    envFrom: shared.envFrom,
    env: [
      { name: 'HOST', value: '0.0.0.0' },
      { name: 'PORT', value: String(PORTS.processor) },
      { name: 'KAFKA_GROUP_ID', value: names.consumerGroup },
      { name: 'BATCH_MAX_ROWS', value: String(batch.maxRows) },
      { name: 'BATCH_MAX_WAIT_MS', value: String(batch.maxWaitMs) },
      { name: 'IDEMPOTENCY_WINDOW_S', value: String(idempotencyWindowSeconds) },
      ...clickhouseCredentialsEnv(p),
      ...telemetryEnv(p, 'processor'),
    ],
  });
  const meta = objectMeta(p, names.processor, 'processor');
  const autoscaler: KubeObject = ctx.capabilities.keda
    ? {
        apiVersion: 'keda.sh/v1alpha1',
        kind: 'ScaledObject',
        metadata: meta,
        spec: {
          scaleTargetRef: { name: names.processor },
          minReplicaCount: minReplicas,
          maxReplicaCount: maxReplicas,
          // KEDA's trigger metadata is a map of strings.
          triggers: [
            {
              type: 'kafka',
              metadata: {
                bootstrapServers: kafkaBootstrap(p),
                consumerGroup: names.consumerGroup,
                topic: names.topic,
                lagThreshold: String(lagThreshold),
              },
            },
          ],
        },
      }
    : {
        apiVersion: 'autoscaling/v2',
        kind: 'HorizontalPodAutoscaler',
        metadata: meta,
        spec: {
          scaleTargetRef: { apiVersion: 'apps/v1', kind: 'Deployment', name: names.processor },
          minReplicas,
          maxReplicas,
          metrics: [
            {
              type: 'Resource',
              resource: { name: 'cpu', target: { type: 'Utilization', averageUtilization: CPU_TARGET_PERCENT } },
            },
          ],
        },
      };
  return [
    deployment(
      p,
      names.processor,
      'processor',
      podTemplate(p, 'processor', podSpec([main]), { ...shared.annotations, ...credentialsAnnotations(p, ctx) }),
    ),
    // Nothing calls the processor; the Service exists so that a ServiceMonitor can find its /metrics.
    service(p, names.processor, 'processor', [{ name: 'http', port: PORTS.processor, targetPort: PORTS.processor }]),
    autoscaler,
    ...disruptionBudget(p, names.processor, 'processor', maxReplicas),
  ];
}
