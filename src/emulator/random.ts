// A small seeded generator so that fault injection is reproducible from --seed.

/** The largest seed: the generator keeps 32 bits of it, so a larger one draws the sequence of a smaller one. */
export const MAX_SEED = 2 ** 32 - 1;

/** mulberry32: 32-bit state, good enough spread for coin flips, and deterministic. */
export function createSeededRandom(seed: number): () => number {
  let state = seed >>> 0;
  return () => {
    state = (state + 0x6d2b79f5) >>> 0;
    let t = state;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}
