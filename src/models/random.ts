/** Seeded randomness for the builders: reproducible across engines (integer arithmetic, then one division). */

/** mulberry32: uniform in [0, 1), 32 bits of state. */
export function mulberry32(seed: number): () => number {
  let state = seed >>> 0;
  return () => {
    state = (state + 0x6d2b79f5) >>> 0;
    let t = state;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

export interface Random {
  /** Uniform in [low, high). */
  uniform(low: number, high: number): number;
  /** Standard normal (Box–Muller). */
  normal(): number;
}

export function seededRandom(seed: number): Random {
  const next = mulberry32(seed);
  return {
    uniform: (low, high) => low + (high - low) * next(),
    normal: () => {
      // 1 − u is in (0, 1], so the logarithm is finite. The second Box–Muller value is dropped: one draw per call
      // keeps the stream position a simple count of calls.
      const radius = Math.sqrt(-2 * Math.log(1 - next()));
      return radius * Math.cos(2 * Math.PI * next());
    },
  };
}
