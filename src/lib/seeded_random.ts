/**
 * mulberry32: a small, fast seeded PRNG for tests, fuzzers and simulations, so that a
 * failing run replays exactly from its seed. Not for anything that must be unpredictable.
 */

/** The raw generator: each call gives the next unsigned 32-bit integer. */
export function mulberry32(seed: number): () => number {
  let state = seed >>> 0;
  return () => {
    state = (state + 0x6d2b79f5) >>> 0;
    let mixed = Math.imul(state ^ (state >>> 15), state | 1);
    mixed ^= mixed + Math.imul(mixed ^ (mixed >>> 7), mixed | 61);
    return (mixed ^ (mixed >>> 14)) >>> 0;
  };
}

/** Floats in [0, 1) from mulberry32(seed). */
export function seededRandom(seed: number): () => number {
  const next = mulberry32(seed);
  return () => next() / 4294967296;
}
