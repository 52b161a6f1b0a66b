export { CodedError, installErrorHandler, installNotFoundHandler } from './errors.ts';
export { parseApiKeys, installApiKeyAuth, assertSafeToListen, DEFAULT_TENANT, type ApiKeyring } from './auth.ts';
export { registerOpsRoutes, isOpsPath, type OpsOptions } from './ops-routes.ts';
export { parseEnv } from './env.ts';
export { serverOptions } from './server-options.ts';
export { stopOnSignals, type ShutdownLog } from './shutdown.ts';
