import { newRecordId, normalizeRecord, nowNs, queuedLine } from '@instant-logs/schema';

/** The service every audit record is stored under, so a tenant finds its trail with `service:instant-logs-audit`. */
export const AUDIT_SERVICE = 'instant-logs-audit';

/**
 * One administrative action, allowed or refused. `principal` is a key id, never a key. A null
 * tenant (a caller with no valid key) goes to the service log only: strangers cannot write into a tenant.
 */
export interface AuditEvent {
  action: string;
  principal: string;
  tenant: string | null;
  params: Record<string, unknown>;
  outcome: 'ok' | 'error';
  detail?: string;
  /** The method and route the router matched, e.g. "POST /api/v1/admin/delete". */
  route?: string;
  /** The HTTP status answered. */
  status?: number;
  /** The client's address as the server saw it. */
  client?: string;
}

/** The part of a pino logger the audit log writes to. */
export interface AuditLogger {
  info(obj: object, msg: string): void;
  warn(obj: object, msg: string): void;
  error(obj: object, msg: string): void;
}

/** The part of the log store the audit log writes to (LogStore satisfies it). */
export interface AuditStore {
  insert(jsonEachRow: string): Promise<void>;
}

export interface AuditLog {
  /** Writes the event to the service log and the tenant's own logs; never rejects. */
  record(event: AuditEvent): Promise<void>;
}

// Parameter names that may carry credentials are dropped, whatever a caller passes.
const SECRET_NAME = /key|token|secret|password|passwd|authorization|cookie|credential/i;
const MAX_VALUE_LENGTH = 1024;

/** Pure: the parameters with credential-like names removed and long strings cut. */
export function scrubParams(params: Record<string, unknown>): Record<string, unknown> {
  const out: Record<string, unknown> = {};
  for (const [name, value] of Object.entries(params)) {
    if (SECRET_NAME.test(name) || value === undefined) continue;
    if (typeof value === 'string')
      out[name] = value.length > MAX_VALUE_LENGTH ? `${value.slice(0, MAX_VALUE_LENGTH)}…` : value;
    else if (value !== null && typeof value === 'object' && !Array.isArray(value))
      out[name] = scrubParams(value as Record<string, unknown>);
    else out[name] = value;
  }
  return out;
}

/** Builds the audit log: one structured line per event in the service log and, given a store, a record of the tenant. */
export function createAuditLog(deps: { log: AuditLogger; store?: AuditStore; clock?: () => number }): AuditLog {
  const clock = deps.clock ?? Date.now;
  return {
    async record(event) {
      const params = scrubParams(event.params);
      const where = {
        ...(event.route !== undefined ? { route: event.route } : {}),
        ...(event.status !== undefined ? { status: event.status } : {}),
        ...(event.client !== undefined ? { client: event.client } : {}),
      };
      const line = {
        audit: true,
        action: event.action,
        principal: event.principal,
        tenant: event.tenant,
        ...where,
        params,
        outcome: event.outcome,
        detail: event.detail,
      };
      if (event.outcome === 'ok') deps.log.info(line, 'Audited an admin action');
      else deps.log.warn(line, 'Audited a failed admin action');
      if (!deps.store || event.tenant === null) return;
      const result = normalizeRecord(
        {
          service: AUDIT_SERVICE,
          level: event.outcome === 'ok' ? 'info' : 'warn',
          message: `${event.action} by ${event.principal}: ${event.outcome}${event.detail ? ` (${event.detail})` : ''}`,
          attributes: {
            audit: 'true',
            action: event.action,
            principal: event.principal,
            outcome: event.outcome,
            detail: event.detail,
            ...where,
            params,
          },
        },
        { tenant: event.tenant, receivedNs: nowNs(clock()), newId: () => newRecordId(clock()) },
      );
      // The service log line above is the trail of last resort: a store outage must not fail the request.
      try {
        if (!result.ok) throw new Error(`${result.error.field} ${result.error.message}`);
        await deps.store.insert(queuedLine(result.record));
      } catch (err) {
        deps.log.error(
          { audit: true, action: event.action, tenant: event.tenant, err },
          'Failed to store an audit record',
        );
      }
    },
  };
}
