import type { FastifyInstance, FastifyServerOptions } from 'fastify';
import { Registry } from 'prom-client';
import { type ApiKeyring, type AuditLog, type HttpsServerOptions, type TailTickets, createServer, installNotFoundHandler, registerOpsRoutes } from '@instant-logs/service-kit';
import type { LogStore } from '@instant-logs/store';
import { createQueryMetrics } from './metrics.ts';
import { queryPlugin } from './plugin.ts';

export interface QueryAppDeps {
  store: LogStore;
  keyring: ApiKeyring;
  registry?: Registry;
  clock?: () => number;
  tailPollMs?: number;
  dashboardDir?: string;
  logger?: FastifyServerOptions['logger'];
  /** Browser origins allowed to call the API cross-origin (the CORS_ORIGINS setting); default off. */
  corsOrigins?: readonly string[];
  /** Host names served besides loopback ones while auth is off (ALLOWED_HOSTS); 'any' behind a gateway that authenticates. */
  allowedHosts?: readonly string[] | 'any';
  /** Live-tail tickets, signed with a secret every replica shares. */
  tickets?: TailTickets;
  audit?: AuditLog;
  /** Serve HTTPS (TLS_* settings); Strict-Transport-Security is sent then. */
  https?: HttpsServerOptions;
}

/** The query service as a standalone HTTP app. Never listens and never reads the environment. */
export function buildApp(deps: QueryAppDeps): FastifyInstance {
  const app = createServer(deps.logger, {}, deps.https);
  const registry = deps.registry ?? new Registry();
  const { store, keyring, clock, tailPollMs, dashboardDir, corsOrigins, allowedHosts, tickets, audit } = deps;
  app.register(queryPlugin, {
    store,
    keyring,
    metrics: createQueryMetrics(registry),
    ...(clock ? { clock } : {}),
    ...(tailPollMs ? { tailPollMs } : {}),
    ...(dashboardDir ? { dashboardDir } : {}),
    ...(corsOrigins ? { corsOrigins } : {}),
    ...(allowedHosts ? { allowedHosts } : {}),
    ...(tickets ? { tickets } : {}),
    ...(deps.https ? { hsts: true } : {}),
    ...(audit ? { audit } : {}),
  });
  installNotFoundHandler(app, 'QUERY');
  registerOpsRoutes(app, { registry, ready: () => store.ping().then(() => true) });
  return app;
}
