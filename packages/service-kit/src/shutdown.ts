import type { Server, Socket } from 'node:net';
import { z } from 'zod';

/** Where shutdown is reported; fastify's logger fits. */
export interface ShutdownLog {
  info(obj: object, msg: string): void;
  warn?(obj: object, msg: string): void;
  error(obj: object, msg: string): void;
}

/** Every socket a server accepted and has not seen close, whatever HTTP made of it. */
export interface ConnectionTracker {
  /** Destroys every open socket; returns how many there were. */
  destroyAll(): number;
}

export interface ShutdownOptions {
  /** Sockets closed at the drain deadline: keep-alive, half-read bodies, half-sent headers, upgraded or refused WebSockets. */
  connections?: readonly ConnectionTracker[];
  /** How long requests in flight may take to finish before their sockets are closed; absent = no bound. */
  drainMs?: number;
}

export const DEFAULT_SHUTDOWN_DRAIN_MS = 10_000;
// After the drain deadline, stopping (flushes, client closes) gets this long before the process exits anyway.
const EXIT_GRACE_MS = 5_000;

/** The shutdown bound's environment: exit within SHUTDOWN_DRAIN_MS + 5 s, inside Kubernetes' 30 s grace period. */
export const ShutdownEnv = {
  SHUTDOWN_DRAIN_MS: z.coerce.number().int().min(100).max(20_000).default(DEFAULT_SHUTDOWN_DRAIN_MS),
};

/**
 * Tracks the server's sockets from now on. Call before listening: a socket the HTTP layer no
 * longer follows (an upgrade, a refused upgrade) still holds server.close() open until it ends.
 */
export function trackConnections(server: Server): ConnectionTracker {
  const open = new Set<Socket>();
  server.on('connection', (socket: Socket) => {
    open.add(socket);
    socket.once('close', () => open.delete(socket));
  });
  return {
    destroyAll() {
      const count = open.size;
      for (const socket of open) socket.destroy();
      return count;
    },
  };
}

/**
 * On the first SIGINT or SIGTERM: logs `message`, runs `stop` (drain, flush, release) and exits 0,
 * or 1 if stopping failed. With `drainMs`, every tracked socket still open then is destroyed and 5 s
 * later the process exits 1 whatever `stop` is waiting for; without it `stop` takes what it needs
 * (the processor's flush). Later signals are ignored. Called once, from a main.
 */
export function stopOnSignals(
  log: ShutdownLog,
  message: string,
  stop: () => Promise<void>,
  options: ShutdownOptions = {},
): void {
  let stopping = false;
  for (const signal of ['SIGINT', 'SIGTERM'] as const) {
    process.on(signal, () => {
      if (stopping) return;
      stopping = true;
      log.info({ signal, drainMs: options.drainMs }, message);
      if (options.drainMs !== undefined) enforceBound(log, options.drainMs, options.connections ?? []);
      stop().then(
        () => process.exit(0),
        (err: unknown) => {
          log.error({ err: String(err) }, 'Shutdown failed');
          process.exit(1);
        },
      );
    });
  }
}

// unref: a shutdown that finishes early exits without waiting for these.
function enforceBound(log: ShutdownLog, drainMs: number, connections: readonly ConnectionTracker[]): void {
  setTimeout(() => {
    const closed = connections.reduce((n, c) => n + c.destroyAll(), 0);
    if (closed > 0)
      (log.warn ?? log.info).call(log, { closed, drainMs }, 'Closed connections still open at the drain deadline');
  }, drainMs).unref();
  setTimeout(() => {
    log.error({ drainMs, graceMs: EXIT_GRACE_MS }, 'Shutdown overran its bound; exiting anyway');
    process.exit(1);
  }, drainMs + EXIT_GRACE_MS).unref();
}
