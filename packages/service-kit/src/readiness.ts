/**
 * A readiness check that answers within `maxWaitMs`: while a probe is slower than that (a store
 * busy with inserts), the answer is the last result a probe gave. One probe runs at a time, so
 * frequent checks never pile up on a slow dependency.
 */
export function boundedProbe(probe: () => Promise<boolean>, maxWaitMs = 500): () => Promise<boolean> {
  let last = false;
  let running: Promise<boolean> | undefined;
  return async () => {
    running ??= probe()
      .catch(() => false)
      .then((ok) => {
        last = ok;
        running = undefined;
        return ok;
      });
    let timer: NodeJS.Timeout | undefined;
    const stale = new Promise<boolean>((resolve) => {
      timer = setTimeout(() => resolve(last), maxWaitMs);
    });
    try {
      return await Promise.race([running, stale]);
    } finally {
      clearTimeout(timer);
    }
  };
}
