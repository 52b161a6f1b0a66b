export {
  CodedError,
  KIT_ERRORS,
  defineErrors,
  errorBody,
  installErrorHandler,
  installNotFoundHandler,
  plainCodedError,
  reviveCodedError,
} from './errors.ts';
export type { ErrorCatalog, ErrorExtra, ErrorSpec, PlainCodedError } from './errors.ts';
export { verifiedCommonName } from './auth.ts';
export {
  parseApiKeys,
  installApiKeyAuth,
  assertSafeToListen,
  DEFAULT_TENANT,
  ALL_SCOPES,
  type ApiKeyring,
  type Principal,
  type Scope,
  type AuthOptions,
} from './auth.ts';
export { issueKey, writeKeysFile, type KeyEntry } from './keys/keys-file.ts';
export {
  createFileKeyring,
  combineKeyrings,
  keyringFromEnv,
  type FileKeyring,
  type FileKeyringOptions,
  type KeyringEnv,
} from './keys/file-keyring.ts';
export {
  tlsServerOptions,
  tlsFromEnv,
  watchCertificates,
  type ClientAuth,
  type TlsOptions,
  type TlsFiles,
  type TlsEnv,
  type HttpsServerOptions,
  type SecureContextTarget,
} from './tls.ts';
export { SecurityEnv, listenerSecurity, type ListenerSecurity } from './security-env.ts';
export { registerOpsRoutes, type OpsOptions } from './ops-routes.ts';
export { declaredRoutes, type RouteAccess, type DeclaredRoute } from './route-access.ts';
export { createTailTickets, type TailTickets, type TailTicketOptions } from './tail-tickets.ts';
export { boundedProbe } from './readiness.ts';
export { parseEnv, TracingEnv } from './env.ts';
export { serverOptions, createServer } from './server-options.ts';
export {
  timeoutServerOptions,
  httpTimeoutsFromEnv,
  HttpTimeoutEnv,
  DEFAULT_HTTP_TIMEOUTS,
  type HttpTimeouts,
} from './http-timeouts.ts';
export { stopOnSignals, trackConnections, ShutdownEnv, DEFAULT_SHUTDOWN_DRAIN_MS } from './shutdown.ts';
export { IdempotencyEnv } from './idempotency-env.ts';
export type { ShutdownLog, ShutdownOptions, ConnectionTracker } from './shutdown.ts';
// Browser-facing hardening and the admin audit trail.
export { installCors, type CorsOptions } from './cors.ts';
export { installSecurityHeaders, contentSecurityPolicy, type SecurityHeaderOptions } from './security-headers.ts';
export { maskSecretsInUrl, redactingLogger } from './server-options.ts';
export {
  createAuditLog,
  scrubParams,
  AUDIT_SERVICE,
  type AuditLog,
  type AuditEvent,
  type AuditLogger,
  type AuditStore,
} from './audit.ts';
export {
  startProbeThread,
  startProbesFromEnv,
  ProbeEnv,
  type ProbeThread,
  type ProbeThreadOptions,
} from './probe-thread.ts';
export { ClickHouseClusterEnv } from './clickhouse-cluster-env.ts';
