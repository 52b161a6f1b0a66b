export { buildApp, type QueryAppDeps } from './app.ts';
export { QueryConfig } from './config.ts';
export { queryPlugin, type QueryDeps } from './plugin.ts';
export { createQueryMetrics, type QueryMetrics } from './metrics.ts';
export { TailEnv, tailLimitsFromEnv, DEFAULT_TAIL_LIMITS, type TailLimits } from './tail-limits.ts';
export { AlertEnv, alertingFromEnv } from './alerts/config.ts';
export { type AlertingOptions } from './alerts/evaluator.ts';
export { type SavedStores } from './alerts/plugin.ts';
