import type { LogPipeline } from '@instant-logs/schema';
import type { V1JobSpec, V1PodTemplateSpec } from '@kubernetes/client-node';
import type { KubeObject } from '../kube/client.ts';
import { clickhouseCredentialsEnv, clickhouseEndpoint } from './clickhouse.ts';
import { clusterSettings } from './clickhouse-cluster.ts';
import { shortHash } from './hash.ts';
import { topicSettingsEnv } from './kafka.ts';
import { namesOf } from './names.ts';
import { objectMeta } from './owner.ts';
import { container, podSpec, podTemplate } from './pod.ts';

/** The schema-migration entry point inside the processor image. */
export const SETUP_COMMAND = ['node', 'services/processor/src/setup/main.ts'];

// Container restarts count too: with the Job controller's backoff (10 s doubling up to 6 min) this
// waits about 40 minutes for a ClickHouse that is still starting.
const BACKOFF_LIMIT = 10;

/**
 * Pure: the pod that migrates the ClickHouse schema, sets the retention, and (with bootstrapServers)
 * creates the Kafka topics. Its env is written out in full, not read from the ConfigMap, so the pod
 * template is everything the run depends on.
 */
function setupTemplate(p: LogPipeline): V1PodTemplateSpec {
  const { url, database } = clickhouseEndpoint(p);
  const main = container(p, {
    name: 'setup',
    image: p.spec.images.processor,
    resources: p.spec.processor.resources,
    command: SETUP_COMMAND,
    env: [
      { name: 'CLICKHOUSE_URL', value: url },
      { name: 'CLICKHOUSE_DATABASE', value: database },
      ...Object.entries(clusterSettings(p)).map(([name, value]) => ({ name, value })),
      ...clickhouseCredentialsEnv(p),
      { name: 'RETENTION_DAYS', value: String(p.spec.retentionDays) },
      ...topicSettingsEnv(p),
    ],
  });
  return podTemplate(p, 'setup', podSpec([main], { restartPolicy: 'OnFailure' }));
}

/** Pure: `<name>-setup-<hash of the pod template>`. A Job's template is immutable, so new inputs make a new Job. */
export function setupJobName(p: LogPipeline): string {
  return `${namesOf(p).setupPrefix}-${shortHash(setupTemplate(p))}`;
}

/** Pure: the setup Job. No ttlSecondsAfterFinished: the reconciler prunes Jobs it no longer wants, and status reads the current one. */
export function setup(p: LogPipeline): KubeObject {
  const spec: V1JobSpec = { backoffLimit: BACKOFF_LIMIT, template: setupTemplate(p) };
  return { apiVersion: 'batch/v1', kind: 'Job', metadata: objectMeta(p, setupJobName(p), 'setup'), spec };
}
