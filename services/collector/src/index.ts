export { buildApp, type CollectorAppDeps } from './app.ts';
export { collectorPlugin, acceptDeps, type CollectorDeps } from './plugin.ts';
export { acceptRecords, type AcceptDeps } from './accept.ts';
export { createTenantLimits, throttledError, type TenantLimits } from './tenant-limits.ts';
export { createCollectorMetrics, type CollectorMetrics } from './metrics.ts';
export { startSyslogServer, type SyslogServer, type SyslogServerOptions } from './syslog/server.ts';
export { createSyslogMetrics } from './syslog/metrics.ts';
export { SyslogEnv, startSyslogFromEnv } from './syslog/config.ts';
