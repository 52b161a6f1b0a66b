import { ms, type Request } from '../request.ts';
import type { Rng } from '../rng.ts';

const S = 'search';
const TERMS = [
  'red sneakers',
  'rain jacket',
  'usb-c cable',
  'coffee grinder',
  'yoga mat',
  'headphones',
  'desk lamp',
  'gift card',
  'socks',
  'backpack',
];
const SEARCH_TIMEOUT_MS = 2000;

/** Pure: what a customer types; some misspell it, and those searches find nothing. */
export function pickTerm(rng: Rng): string {
  return rng.chance(0.08) ? `${rng.pick(TERMS).slice(0, -2)}zz` : rng.pick(TERMS);
}

/** Runs a product search for `term`; returns the time spent. */
export function query(req: Request, at: number, term: string): number {
  const { rng } = req;
  if (rng.chance(0.3)) {
    req.log(S, at + 0.3, 'debug', `Cache hit search:"${term}"`);
    return 0.5;
  }
  const took = rng.latency(35, 0.7);
  if (took > SEARCH_TIMEOUT_MS) {
    const shards = rng.int(1, 4);
    req.log(
      S,
      at + SEARCH_TIMEOUT_MS,
      'warn',
      `Search "${term}" timed out after ${SEARCH_TIMEOUT_MS}ms; partial results from ${shards}/5 shards`,
    );
    return SEARCH_TIMEOUT_MS;
  }
  const hits = term.endsWith('zz') ? 0 : rng.int(1, 240);
  const level = took > 500 ? 'warn' : 'info';
  const what = took > 500 ? 'Slow search' : 'Search';
  req.log(S, at + took, level, `${what} "${term}" returned ${hits} hits in ${ms(took)}ms`, {
    search: { hits },
    duration_ms: ms(took),
  });
  return took;
}

/** Logs the periodic index refresh: an untraced background event. */
export function refreshIndex(req: Request): void {
  const took = req.rng.latency(45, 0.5);
  req.log(S, 0, 'debug', `Index refresh took ${ms(took)}ms (${req.rng.int(0, 40)} docs changed)`);
}
