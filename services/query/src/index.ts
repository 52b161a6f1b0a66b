export { buildApp, type QueryAppDeps } from './app.ts';
export { QueryConfig } from './config.ts';
export { queryPlugin, type QueryDeps } from './plugin.ts';
export { createQueryMetrics, type QueryMetrics } from './metrics.ts';
export { TailEnv, tailLimitsFromEnv, DEFAULT_TAIL_LIMITS, type TailLimits } from './tail-limits.ts';
