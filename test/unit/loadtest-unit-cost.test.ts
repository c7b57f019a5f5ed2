/** The load report's CPU per request and per frame. */
import { describe, expect, it } from "vitest";
import { steadyCostLine, unitCost, unitCostLine } from "../../loadtest/unit-cost";

describe("unitCost", () => {
  it("divides the runtime's CPU among the requests", () => {
    // 10 s at 50% of a core = 5 core-s for 20,000 requests: 250 µs each.
    const u = unitCost(Array(10).fill(50), 20_000, null, null);
    expect(u.cpuSec).toBe(5);
    expect(u.usPerRequest).toBe(250);
    expect(u.usPerFrame).toBeNull();
    expect(unitCostLine(u, true)).toContain("250 µs per request (fan-out off");
  });

  it("prices frames from a given request cost", () => {
    // 5 core-s: 20,000 requests at 100 µs = 2 s, the other 3 s over 60,000 frames = 50 µs each.
    const u = unitCost(Array(10).fill(50), 20_000, 60_000, 100);
    expect(u.usPerFrame).toBeCloseTo(50, 9);
    expect(unitCostLine(u, false)).toContain("50.0 µs per frame");
  });

  it("never prices a frame below zero, and says when it cannot price one", () => {
    expect(unitCost([10], 1_000, 10, 500).usPerFrame).toBe(0);
    expect(unitCost([10], 1_000, 0, 50).usPerFrame).toBeNull();
    expect(unitCostLine(unitCost([10], 1_000, 10, null), false)).toContain("--request-cost-us");
    expect(unitCost([10], 0, null, null).usPerRequest).toBe(0);
  });

  it("prints the steady state's request cost, an upper bound when frames share its seconds", () => {
    // 60 s at 40% of a core = 24 core-s over 120,000 requests: 200 µs each.
    const u = unitCost(Array(60).fill(40), 120_000, null, null);
    expect(steadyCostLine(u, true)).toContain(
      "24.0 core-s for 120000 requests: 200 µs per request (fan-out off",
    );
    expect(steadyCostLine(u, false)).toContain("an upper bound");
  });
});
