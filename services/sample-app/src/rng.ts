/** A seeded pseudo-random source: the same seed always yields the same sequence. */
export interface Rng {
  /** Uniform in [0, 1). */
  float(): number;
  /** Uniform integer in [min, max], both inclusive. */
  int(min: number, max: number): number;
  chance(p: number): boolean;
  pick<T>(items: readonly T[]): T;
  /** Picks an item with probability proportional to its weight. */
  weighted<T>(items: readonly (readonly [T, number])[]): T;
  /** `digits` lowercase hex digits. */
  hex(digits: number): string;
  /** Exponentially distributed with the given mean: gaps between independent arrivals. */
  exp(mean: number): number;
  /** Log-normal around `median`: latencies have a long right tail, never a negative one. */
  latency(median: number, spread?: number): number;
}

/** Pure: a mulberry32 generator; small and fast, and uniform enough for a traffic simulator. */
export function createRng(seed: number): Rng {
  let state = seed >>> 0;
  const u32 = (): number => {
    state = (state + 0x6d2b79f5) >>> 0;
    let t = state;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return (t ^ (t >>> 14)) >>> 0;
  };
  const float = (): number => u32() / 4294967296;
  const rng: Rng = {
    float,
    int: (min, max) => min + Math.floor(float() * (max - min + 1)),
    chance: (p) => float() < p,
    pick: (items) => items[Math.floor(float() * items.length)]!,
    weighted(items) {
      let total = 0;
      for (const [, w] of items) total += w;
      let r = float() * total;
      for (const [item, w] of items) if ((r -= w) < 0) return item;
      return items[items.length - 1]![0];
    },
    hex(digits) {
      let out = '';
      while (out.length < digits) out += u32().toString(16).padStart(8, '0');
      return out.slice(0, digits);
    },
    exp: (mean) => -mean * Math.log(1 - float()),
    latency(median, spread = 0.5) {
      // Box–Muller; 1 - float() keeps the logarithm's argument above zero.
      const gauss = Math.sqrt(-2 * Math.log(1 - float())) * Math.cos(2 * Math.PI * float());
      return median * Math.exp(spread * gauss);
    },
  };
  return rng;
}
