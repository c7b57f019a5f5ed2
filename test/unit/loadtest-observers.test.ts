/** The push-delay probe's observer sample: uniform, reproducible from the seed, independent of the worker split. */
import { describe, expect, it } from "vitest";
import { isObserver } from "../../loadtest/push-delay";

const count = (players: number, observers: number, seed: number) => {
  let n = 0;
  for (let i = 0; i < players; i++) if (isObserver(i, players, observers, seed)) n++;
  return n;
};

describe("isObserver", () => {
  it("takes everyone when the sample is at least the players", () => {
    expect(count(1_500, 2_000, 3)).toBe(1_500);
    expect(count(2_000, 2_000, 3)).toBe(2_000);
  });

  it("takes about the asked number, within 4 standard deviations", () => {
    for (const [players, observers] of [
      [10_000, 2_000],
      [20_000, 2_000],
      [100_000, 500],
    ] as const) {
      const p = observers / players;
      const sd = Math.sqrt(players * p * (1 - p));
      const n = count(players, observers, 7);
      expect(Math.abs(n - observers)).toBeLessThan(4 * sd);
    }
  });

  it("spreads the sample evenly over the join order (every tenth of the players holds about a tenth)", () => {
    const players = 10_000;
    const tenth = players / 10;
    for (let d = 0; d < 10; d++) {
      let n = 0;
      for (let i = d * tenth; i < (d + 1) * tenth; i++) if (isObserver(i, players, 2_000, 11)) n++;
      expect(n).toBeGreaterThan(140);
      expect(n).toBeLessThan(260);
    }
  });

  it("is the same for a seed, different for another", () => {
    const pick = (seed: number) =>
      Array.from({ length: 5_000 }, (_, i) => isObserver(i, 5_000 * 5, 5_000, seed));
    expect(pick(3)).toEqual(pick(3));
    expect(pick(3)).not.toEqual(pick(4));
  });
});
