export { buildApp, type CollectorAppDeps } from './app.ts';
export { CollectorConfig } from './config.ts';
export { collectorPlugin, acceptDeps, type CollectorDeps } from './plugin.ts';
export { acceptRecords, type AcceptDeps } from './accept.ts';
export {
  createIdempotencyLedger,
  documentClaim,
  DOCUMENT_ANSWER,
  forwardIdempotencyKeys,
  idempotencyClaim,
  type IdempotencyLedger,
  type IdempotencyClaim,
  type IdempotencyOptions,
} from './idempotency.ts';
export { createTenantLimits, throttledError, type TenantLimits } from './tenant-limits.ts';
export {
  createAdmission,
  installAdmission,
  admissionLimitsFromEnv,
  DEFAULT_ADMISSION_LIMITS,
  type Admission,
  type AdmissionLimits,
  type Lag,
} from './admission.ts';
export { AdmissionEnv } from './admission-env.ts';
export { createCollectorMetrics, admissionObserver, type CollectorMetrics } from './metrics.ts';
export { startSyslogServer, type SyslogServer, type SyslogServerOptions } from './syslog/server.ts';
export { createSyslogMetrics } from './syslog/metrics.ts';
export { SyslogEnv, startSyslogFromEnv } from './syslog/config.ts';
export { startIngestThreads, defaultIngestThreads, type IngestThreads } from './ingest-threads.ts';
