/** Where shutdown is reported; fastify's logger fits. */
export interface ShutdownLog {
  info(obj: object, msg: string): void;
  error(obj: object, msg: string): void;
}

/**
 * On the first SIGINT or SIGTERM: logs `message`, runs `stop` (drain, flush, release) and exits 0,
 * or 1 if stopping failed. Later signals are ignored while it runs. Called once, from a main.
 */
export function stopOnSignals(log: ShutdownLog, message: string, stop: () => Promise<void>): void {
  let stopping = false;
  for (const signal of ['SIGINT', 'SIGTERM'] as const) {
    process.on(signal, () => {
      if (stopping) return;
      stopping = true;
      log.info({ signal }, message);
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
