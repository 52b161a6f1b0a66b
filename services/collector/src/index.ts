export { buildApp, type CollectorAppDeps } from './app.ts';
export { collectorPlugin, type CollectorDeps } from './plugin.ts';
export { createCollectorMetrics, type CollectorMetrics } from './metrics.ts';
