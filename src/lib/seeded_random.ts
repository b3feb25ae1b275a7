/**
 * The one seeded PRNG (mulberry32) for tests, fuzzers, fault campaigns and the simulator,
 * so that a failing run replays exactly from its seed. Not for anything that must be
 * unpredictable. `Random` adds the helpers those need; `fork()` derives an independent
 * stream (for a simulated node, say) at the cost of one draw from the parent.
 */
import { assert } from "./assert.js";

const TWO_POW_32 = 4294967296;

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
  return () => next() / TWO_POW_32;
}

export class Random {
  private readonly nextRaw: () => number;

  /** Seeds below 2^32 give mulberry32(seed) itself; higher bits are folded in, so seeds past 2^32 differ. */
  constructor(readonly seed: number) {
    assert(Number.isInteger(seed), `seed must be an integer, got ${seed}`);
    this.nextRaw = mulberry32((seed ^ Math.imul(Math.floor(seed / TWO_POW_32), 0x9e3779b9)) >>> 0);
  }

  /** The next 32 random bits as an unsigned integer. */
  nextUint32(): number {
    return this.nextRaw();
  }

  /** A float in [0, 1). */
  next(): number {
    return this.nextRaw() / TWO_POW_32;
  }

  /** An integer in [0, bound). */
  below(bound: number): number {
    assert(Number.isInteger(bound) && bound > 0, `below needs a positive integer bound, got ${bound}`);
    return Math.floor(this.next() * bound);
  }

  /** An integer in [min, max], both inclusive. */
  between(min: number, max: number): number {
    assert(min <= max, `between needs min <= max, got ${min} > ${max}`);
    return min + this.below(max - min + 1);
  }

  /** True with probability `probability`. */
  chance(probability: number): boolean {
    return this.next() < probability;
  }

  pick<T>(items: readonly T[]): T {
    assert(items.length > 0, "cannot pick from an empty list");
    return items[this.below(items.length)] as T;
  }

  /** A shuffled copy (Fisher-Yates); the input is left alone. */
  shuffle<T>(items: readonly T[]): T[] {
    const result = items.slice();
    for (let i = result.length - 1; i > 0; i--) {
      const j = this.below(i + 1);
      [result[i], result[j]] = [result[j] as T, result[i] as T];
    }
    return result;
  }

  bytes(length: number): Buffer {
    const bytes = Buffer.allocUnsafe(length);
    for (let index = 0; index < length; index++) bytes[index] = this.below(256);
    return bytes;
  }

  /** An independent stream seeded from this one. */
  fork(): Random {
    return new Random(this.nextUint32());
  }
}
