/** @module The freshness bound the fan-out budget can keep, for the operator's view. */
import { describe, expect, it } from "vitest";
import { FANOUT_BUDGET } from "../../src/battle/fanout-budget";
import { freshnessBoundMs } from "../../src/battle/freshness";
import { FRESHNESS_BOUND_MS, PUSH_INTERVAL_MS, PUSH_SLICE_MS } from "../../src/battle/push-scheduler";

describe("freshnessBoundMs", () => {
  it("is the documented bound while the budget covers a frame per socket per interval", () => {
    expect(freshnessBoundMs(0, 0.03, 1, FANOUT_BUDGET.busyShare)).toBe(FRESHNESS_BOUND_MS);
    // 2,000 sockets at 0.03 ms a frame within 60% of the time: a sweep's frames take 100 ms < 450 ms.
    expect(freshnessBoundMs(2_000, 0.03, 1, 0.6)).toBe(FRESHNESS_BOUND_MS);
  });

  it("grows with the time a sweep's frames need when the budget cannot keep up", () => {
    // 10,000 sockets at 0.1 ms a frame, a quarter share of 60%: 1,000 ms of frames at 15% → 6,667 ms.
    expect(freshnessBoundMs(10_000, 0.1, 0.25, 0.6)).toBeCloseTo(
      (10_000 * 0.1) / (0.25 * 0.6) + PUSH_SLICE_MS,
      6,
    );
    expect(freshnessBoundMs(10_000, 0.1, 0.25, 0.6)!).toBeGreaterThan(PUSH_INTERVAL_MS + PUSH_SLICE_MS);
  });

  it("is null when fan-out has no time share", () => {
    expect(freshnessBoundMs(10, 0.03, 1, 0)).toBeNull();
  });
});
