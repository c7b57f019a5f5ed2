/** @module Seeded randomness for the load generator: a small fast PRNG and the distributions drawn from it. */

/** mulberry32: 32-bit state, good enough statistics for load shaping, and reproducible from `--seed`. */
export function mulberry32(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

/** Mixes a run seed with stream numbers (worker, player) into an independent 32-bit seed. */
export function deriveSeed(seed: number, ...streams: number[]): number {
  let h = (seed ^ 0x9e3779b9) >>> 0;
  for (const s of streams) {
    h = Math.imul(h ^ (s >>> 0), 0x85ebca6b) >>> 0;
    h ^= h >>> 13;
    h = Math.imul(h, 0xc2b2ae35) >>> 0;
    h ^= h >>> 16;
  }
  return h >>> 0;
}

/** Exponential think time with the given mean (a Poisson arrival process per player). */
export function exponential(rng: () => number, mean: number): number {
  return -Math.log(1 - rng()) * mean;
}
