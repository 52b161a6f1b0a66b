import type { FastifyInstance } from 'fastify';
import type { Scope } from './auth.ts';

/** Who may call a route: holders of a key with that scope, or anyone ('public'). */
export type RouteAccess = Scope | 'public';

export const ROUTE_ACCESS: readonly RouteAccess[] = ['ingest', 'query', 'admin', 'public'];

declare module 'fastify' {
  interface FastifyContextConfig {
    /** Declared on every route; the auth hook reads it from what the router matched, never from the URL. */
    access?: RouteAccess;
    /** The live tail: a browser cannot set headers on a WebSocket upgrade, so a short-lived ticket in the URL stands in for the key. */
    ticket?: boolean;
    /** The audit action of an administrative route; every request that reaches it, allowed or refused, is audited. */
    audit?: string;
  }
}

export interface DeclaredRoute {
  method: string;
  url: string;
  access: RouteAccess;
}

const declared = new WeakMap<FastifyInstance, DeclaredRoute[]>();

/**
 * Makes a route that declares no access a start-up error, on this server and every plugin in it, and
 * keeps the list of routes with their access for tests and docs. Called once per server, at its root.
 */
export function requireDeclaredAccess(app: FastifyInstance): void {
  const routes: DeclaredRoute[] = [];
  declared.set(app, routes);
  app.addHook('onRoute', (route) => {
    const access = route.config?.access;
    const methods = Array.isArray(route.method) ? route.method : [route.method];
    if (access === undefined || !ROUTE_ACCESS.includes(access)) {
      throw new Error(
        `Route ${methods.join(',')} ${route.url} declares no access: set config.access to one of ${ROUTE_ACCESS.join(', ')}`,
      );
    }
    for (const method of methods) routes.push({ method, url: route.url, access });
  });
}

/** Every route registered on a server made by createServer, with the access it declared. */
export function declaredRoutes(app: FastifyInstance): readonly DeclaredRoute[] {
  return declared.get(app) ?? [];
}
