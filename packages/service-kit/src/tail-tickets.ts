import { createHmac, randomBytes } from 'node:crypto';
import { sameDigest, type Principal, type Scope } from './auth.ts';

/**
 * Short-lived, single-use stand-ins for a key in a WebSocket URL. A ticket is signed, not stored, so
 * any replica holding the same secret accepts it; each replica refuses a ticket it has seen before.
 */
export interface TailTickets {
  /** A ticket acting as `principal` with only the query scope, valid for `ttlMs`. */
  issue(principal: Principal): { ticket: string; expiresAt: number };
  /** The principal a ticket stands for, or undefined when it is forged, expired or used. */
  redeem(ticket: string): Principal | undefined;
}

export interface TailTicketOptions {
  /** Shared by every replica that must accept the tickets; a random one serves a single process. */
  secret?: Buffer;
  ttlMs?: number;
  clock?: () => number;
}

export const TICKET_PREFIX = 'idt_';
const QUERY_ONLY: ReadonlySet<Scope> = new Set<Scope>(['query']);
// The payload is small and fixed; anything longer is not a ticket.
const MAX_TICKET_LENGTH = 512;

interface Payload {
  tenant: string;
  id: string;
  exp: number;
  nonce: string;
}

/** Creates the ticket issuer and verifier of one process. */
export function createTailTickets(options: TailTicketOptions = {}): TailTickets {
  const secret = options.secret ?? randomBytes(32);
  const ttlMs = options.ttlMs ?? 30_000;
  const clock = options.clock ?? Date.now;
  // Nonces of redeemed tickets until they expire; pruned on each redemption, so its size is bounded by the issue rate.
  const used = new Map<string, number>();
  const sign = (body: string): Buffer => createHmac('sha256', secret).update(body).digest();

  return {
    issue(principal) {
      const payload: Payload = {
        tenant: principal.tenant,
        id: principal.id,
        exp: clock() + ttlMs,
        nonce: randomBytes(12).toString('base64url'),
      };
      const body = Buffer.from(JSON.stringify(payload)).toString('base64url');
      return { ticket: `${TICKET_PREFIX}${body}.${sign(body).toString('base64url')}`, expiresAt: payload.exp };
    },
    redeem(ticket) {
      if (ticket.length > MAX_TICKET_LENGTH || !ticket.startsWith(TICKET_PREFIX)) return undefined;
      const [body = '', mac = '', extra] = ticket.slice(TICKET_PREFIX.length).split('.');
      if (extra !== undefined || !sameDigest(sign(body), Buffer.from(mac, 'base64url'))) return undefined;
      const payload = parsePayload(body);
      const now = clock();
      if (!payload || payload.exp <= now) return undefined;
      for (const [nonce, exp] of used) if (exp <= now) used.delete(nonce);
      if (used.has(payload.nonce)) return undefined;
      used.set(payload.nonce, payload.exp);
      return { tenant: payload.tenant, id: payload.id, scopes: QUERY_ONLY };
    },
  };
}

function parsePayload(body: string): Payload | undefined {
  try {
    const value = JSON.parse(Buffer.from(body, 'base64url').toString('utf8')) as Partial<Payload>;
    const ok =
      typeof value.tenant === 'string' &&
      typeof value.id === 'string' &&
      typeof value.exp === 'number' &&
      typeof value.nonce === 'string';
    return ok ? (value as Payload) : undefined;
  } catch {
    return undefined;
  }
}
