import type { FastifyInstance } from 'fastify';
import { apiRoute, responseSchemas, TailQuery } from '@instant-logs/schema';
import { CodedError, errorBody, type TailTickets } from '@instant-logs/service-kit';
import { compileSearch, ParamBag, type LogStore } from '@instant-logs/store';
import { parseQuery } from '@instant-logs/query-language';
import { KIT_ERRORS, QUERY_ERRORS, toQueryError } from '../errors.ts';
import { parseParams } from '../filters.ts';
import type { QueryMetrics } from '../metrics.ts';
import { createTailClient } from '../tail-client.ts';
import { createTailHub, type TailSubscription } from '../tail-hub.ts';
import { createTailGate, DEFAULT_TAIL_LIMITS, type TailLimits, type TailSeat } from '../tail-limits.ts';

// Live tail follows ingestion order, whatever time a record claims, so every time is in range.
const ALL_TIME = { fromNs: 0n, toNs: 9_223_372_036_854_775_807n };

/** A tail's outbox bounds. */
export interface TailBuffer {
  /** Records held for a backed-up client before it is dropped with 4008 (default 10,000). */
  maxBuffered?: number;
  /** Bytes queued on a socket before records wait in its buffer instead (default 1 MiB). */
  highWaterBytes?: number;
}

export interface TailOptions extends TailBuffer {
  pollMs: number;
  /** Caps on open tails, filter size and store polls at once; defaults when absent. */
  limits?: Partial<TailLimits>;
}

/**
 * POST /api/v1/tail/ticket: a short-lived single-use ticket for the tail's URL (`?ticket=`), so a browser,
 * which cannot set headers on a WebSocket upgrade, never puts its key in a URL.
 */
export function registerTailTicketRoute(app: FastifyInstance, tickets: TailTickets): void {
  const schema = { response: responseSchemas(apiRoute('POST', '/api/v1/tail/ticket')) };
  app.post('/api/v1/tail/ticket', { config: { access: 'query' }, schema }, async (request) => {
    const { ticket, expiresAt } = tickets.issue(request.principal);
    return { ticket, expires_at: new Date(expiresAt).toISOString() };
  });
}

/**
 * WebSocket /api/v1/tail: sends `{type:"ready", position}` then `{type:"records", records, position}`
 * as matching records are stored. Reconnecting with `since=<position>` resumes without gaps. A tenant's
 * tails share one poller (tail-hub.ts).
 */
export function registerTailRoute(
  app: FastifyInstance,
  store: LogStore,
  metrics: QueryMetrics,
  options: TailOptions,
): void {
  const gate = createTailGate({ ...DEFAULT_TAIL_LIMITS, ...options.limits }, (reason) =>
    metrics.tailsRefused.inc({ reason }),
  );
  const hub = createTailHub({ store, gate, pollMs: options.pollMs });
  app.addHook('onClose', async () => hub.close());
  const outbox = {
    maxBuffered: options.maxBuffered ?? 10_000,
    highWaterBytes: options.highWaterBytes ?? 1024 * 1024,
    retryMs: options.pollMs,
  };
  const url = '/api/v1/tail';
  // A plain GET (no Upgrade) gets 426 in the API's coded shape, not @fastify/websocket's empty 404.
  const handler = async () => {
    throw KIT_ERRORS.UPGRADE_REQUIRED({ path: url, headers: { upgrade: 'websocket', connection: 'Upgrade' } });
  };
  app.route({
    method: 'GET',
    url,
    config: { access: 'query', ticket: true },
    handler,
    wsHandler: async (socket, request) => {
      let seat: TailSeat | undefined;
      let subscription: TailSubscription | undefined;
      let closed = false;
      const failed = Promise.withResolvers<never>();
      // A failure after the socket closed has nobody left to tell.
      failed.promise.catch(() => undefined);
      const ended = new Promise<void>((resolve) => socket.on('close', () => resolve()));
      const client = createTailClient(socket, {
        ...outbox,
        onOverflow(position) {
          metrics.tailsDropped.inc();
          failed.reject(QUERY_ERRORS.TAIL_TOO_SLOW({ max: outbox.maxBuffered, details: { position } }));
        },
      });
      // The seat and the poller are free once the socket is, not only when a poll in progress has come back.
      socket.on('close', () => {
        closed = true;
        client.stop();
        subscription?.unsubscribe();
        seat?.release();
        metrics.tailPollers.set(hub.pollers);
      });
      metrics.tailClients.inc();
      try {
        const params = parseParams(TailQuery, request.query);
        const filter = {
          tenant: request.tenant,
          ...ALL_TIME,
          services: params.service,
          levels: params.level,
          query: parseQuery(params.q),
        };
        gate.checkFilter(filter);
        // Compiled once here so that a clause the store cannot run (level:loud) refuses this tail alone,
        // before it joins the read it would share with the tenant's other tails.
        compileSearch(filter.query, new ParamBag());
        seat = gate.take(request.tenant);
        const joined = await hub.subscribe(filter, params.since, {
          deliver: (records) => client.push(records),
          fail: (err) => failed.reject(err),
        });
        if (closed) joined.unsubscribe();
        else subscription = joined;
        metrics.tailPollers.set(hub.pollers);
        client.start(joined.position);
        await Promise.race([ended, failed.promise]);
      } catch (err) {
        if (!closed) {
          client.stop();
          const clientError = toQueryError(err);
          socket.send(JSON.stringify({ type: 'error', error: tailError(clientError), ...positionOf(clientError) }));
          if (!(clientError instanceof CodedError)) request.log.error({ err }, 'Live tail failed');
          socket.close(...closeFor(clientError));
        }
      } finally {
        subscription?.unsubscribe();
        seat?.release();
        metrics.tailPollers.set(hub.pollers);
        metrics.tailClients.dec();
      }
    },
  });
}

// A client dropped for reading too slowly resumes from the last position it was sent.
function positionOf(err: unknown): { position?: string } {
  return err instanceof CodedError && typeof err.details.position === 'string'
    ? { position: err.details.position }
    : {};
}

// RFC 6455 close codes: 1013 "try again later" for a full house, 1008 "policy violation" for a filter over the
// limit; any other request the client must change closes with 4000 + its HTTP status (4400 for a bad query), so a
// client tells "fix the request" from 1011, a server fault worth retrying.
function closeFor(err: unknown): [number, string] {
  if (!(err instanceof CodedError)) return [1011, 'tail failed'];
  if (err.code === 'TOO_MANY_TAILS') return [1013, 'too many live tails'];
  if (err.code === 'TAIL_FILTER_TOO_COMPLEX') return [1008, 'filter too complex'];
  if (err.code === 'TAIL_TOO_SLOW') return [4008, 'client too slow'];
  if (err.statusCode >= 400 && err.statusCode < 500) return [4000 + err.statusCode, 'bad request'];
  return [1011, 'tail failed'];
}

function tailError(err: unknown): ReturnType<typeof errorBody> {
  return errorBody(err instanceof CodedError ? err : KIT_ERRORS.INTERNAL(), 'QUERY');
}
