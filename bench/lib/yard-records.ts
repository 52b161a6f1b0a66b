// Distinct log records for the side-by-side phase: every record differs (ids, numbers, words), so
// neither system is flattered by repeated bodies. Seeded, so a run can be repeated exactly.

/** Words the queries look for, and how often the generator writes them. */
export const RARE_WORD = 'breaker'; // about 1 record in 5,000
export const COMMON_WORD = 'completed'; // about 2 records in 5
const RARE_P = 1 / 5000;

const SERVICES = 'api-gateway checkout payments inventory search auth notifications shipping'.split(' ');
const LEVELS = [
  ['info', 0.7],
  ['debug', 0.15],
  ['warn', 0.1],
  ['error', 0.05],
] as const;
const METHODS = ['GET', 'POST', 'PUT', 'DELETE'] as const;
const RESOURCES = 'orders carts items users sessions invoices products shipments refunds coupons'.split(' ');
const VERBS = 'created updated reserved released indexed synced queued retried expired archived'.split(' ');
const REASONS = 'timeout refused throttled invalid conflict unavailable stale missing duplicate oversized'.split(' ');
const PROVIDERS = ['stripe', 'adyen', 'paypal', 'klarna', 'braintree'];
const REGIONS = ['eu-west-1', 'eu-central-1', 'us-east-1', 'us-west-2', 'ap-south-1'];

/** What the bodies hold, so each system's answers can be checked against the truth. */
export interface YardFacts {
  records: number;
  fromMs: number;
  toMs: number;
  /** A request id that occurs in exactly one record's message. */
  needle: string;
  byLevel: Record<string, number>;
  rareMatches: number;
  commonMatches: number;
  /** Records of service "payments" at level "error". */
  paymentsErrors: number;
}

/** Pure: a mulberry32 source of uniform floats in [0, 1). */
function rng(seed: number): () => number {
  let state = seed >>> 0;
  return () => {
    state = (state + 0x6d2b79f5) >>> 0;
    let t = Math.imul(state ^ (state >>> 15), state | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

/**
 * Pure: `bodies` NDJSON request bodies of `perBody` distinct records (~340 bytes each), timestamps
 * spread evenly over [fromMs, toMs) in order, and the facts the queries are checked against.
 */
export function yardBodies(
  bodies: number,
  perBody: number,
  seed: number,
  fromMs: number,
  toMs: number,
): { bodies: Buffer[]; facts: YardFacts } {
  const r = rng(seed);
  const int = (min: number, max: number) => min + Math.floor(r() * (max - min + 1));
  const pick = <T>(xs: readonly T[]) => xs[Math.floor(r() * xs.length)]!;
  const hex = (n: number) => Array.from({ length: n }, () => '0123456789abcdef'[Math.floor(r() * 16)]).join('');
  const level = () => {
    let x = r();
    for (const [name, p] of LEVELS) if ((x -= p) < 0) return name;
    return 'info';
  };
  const total = bodies * perBody;
  const step = (toMs - fromMs) / total;
  // A few pods per service, as a small deployment has.
  const pods = new Map(SERVICES.map((s) => [s, Array.from({ length: 4 }, () => `${s}-${hex(5)}-${hex(5)}`)] as const));
  const needleAt = Math.floor(total / 2) + int(0, perBody - 1);
  const facts: YardFacts = {
    ...{ records: total, fromMs, toMs, needle: '', byLevel: {} },
    ...{ rareMatches: 0, commonMatches: 0, paymentsErrors: 0 },
  };
  const out: Buffer[] = [];
  for (let b = 0; b < bodies; b++) {
    const lines: string[] = [];
    for (let i = 0; i < perBody; i++) {
      const index = b * perBody + i;
      const service = pick(SERVICES);
      const lvl = level();
      // Request ids are letters and digits only, so both systems see each as one word.
      const request = `req${hex(16)}`;
      if (index === needleAt) facts.needle = request;
      const user = `u${int(100000, 999999)}`;
      const ms = int(1, 2000);
      const method = pick(METHODS);
      const resource = pick(RESOURCES);
      const rare = r() < RARE_P;
      let message: string;
      if (rare) {
        message =
          `charge for order ord${hex(10)} failed: circuit ${RARE_WORD} open for ${pick(PROVIDERS)} ` +
          `after ${int(3, 50)} failures, request ${request}`;
        facts.rareMatches++;
      } else if (lvl === 'error' || lvl === 'warn') {
        message =
          `${method} /api/v${int(1, 3)}/${resource}/${hex(8)} ${pick(REASONS)} after ${ms} ms on ${pick(REGIONS)}: ` +
          `upstream ${pick(SERVICES)} said ${pick(REASONS)}, request ${request}`;
      } else if (r() < 0.5) {
        message =
          `${method} /api/v${int(1, 3)}/${resource}/${hex(8)} ${COMMON_WORD} in ${ms} ms ` +
          `for user ${user} request ${request} items=${int(1, 40)}`;
        facts.commonMatches++;
      } else {
        message =
          `${resource} batch ${hex(6)} ${pick(VERBS)} ${int(1, 500)} rows in ${ms} ms ` +
          `for user ${user}, request ${request}`;
      }
      facts.byLevel[lvl] = (facts.byLevel[lvl] ?? 0) + 1;
      if (service === 'payments' && lvl === 'error') facts.paymentsErrors++;
      const record = {
        timestamp: new Date(Math.floor(fromMs + index * step)).toISOString(),
        service,
        level: lvl,
        message,
        attributes: {
          host: pick(pods.get(service)!),
          region: pick(REGIONS),
          'http.method': method,
          'http.status': lvl === 'error' ? 500 : 200,
          duration_ms: ms,
          version: `2.${int(0, 20)}.${int(0, 9)}`,
        },
      };
      lines.push(JSON.stringify(record));
    }
    out.push(Buffer.from(`${lines.join('\n')}\n`));
  }
  return { bodies: out, facts };
}
