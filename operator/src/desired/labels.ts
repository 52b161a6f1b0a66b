import type { LogPipeline } from '@instant-logs/schema';

/** On every object the operator makes: the reconciler lists and prunes by it. */
export const PIPELINE_LABEL = 'logging.instantdev.io/pipeline';

/** A pod-template annotation holding a hash of the configuration the pods read at start: a change rolls them. */
export const CONFIG_HASH_ANNOTATION = 'logging.instantdev.io/config-hash';

/** A collector pod-template annotation holding a hash of its tenants file: a change rolls the collectors. */
export const TENANTS_HASH_ANNOTATION = 'logging.instantdev.io/tenants-hash';

/**
 * A pod-template annotation holding a hash of the managed ClickHouse password the pods read at start:
 * a new password (its Secret deleted and made again) rolls the server and every client together.
 */
export const CREDENTIALS_HASH_ANNOTATION = 'logging.instantdev.io/credentials-hash';

export type Component =
  | 'pipeline'
  | 'kafka'
  | 'collector'
  | 'processor'
  | 'clickhouse'
  | 'keeper'
  | 'setup'
  | 'query'
  | 'dashboard'
  | 'monitoring';

/** Pure: the labels a component's selectors match; never change them, Deployment selectors are immutable. */
export function selectorLabels(p: LogPipeline, component: Component): Record<string, string> {
  return {
    'app.kubernetes.io/name': 'instant-logs',
    'app.kubernetes.io/instance': p.metadata.name,
    'app.kubernetes.io/component': component,
  };
}

/** Pure: the labels of every object and pod of a component. */
export function labelsFor(p: LogPipeline, component: Component): Record<string, string> {
  return {
    ...selectorLabels(p, component),
    'app.kubernetes.io/managed-by': 'instant-logs-operator',
    [PIPELINE_LABEL]: p.metadata.name,
  };
}
