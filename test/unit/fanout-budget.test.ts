import { describe, expect, it } from "vitest";
import { FANOUT_BUDGET, FanoutBudget, fanoutSwitch } from "../../src/battle/fanout-budget";

/**
 * 1 ms per frame to start, so 50 ms slices at a 0.6 busy share fit 30 frames; the estimate may range up to 5 ms
 * and is the lowest of the last 8 measurements (the mechanics; the shipped bounds are tested at the end).
 */
const opts = { ...FANOUT_BUDGET, initialFrameMs: 1, maxFrameMs: 5, window: 8 };

describe("FanoutBudget", () => {
  it("sends what fits in the busy share of the slice at the assumed cost, never more than wanted", () => {
    const b = new FanoutBudget(opts);
    expect(b.frames(1_000, 50, 0)).toBe(30);
    expect(b.frames(12, 50, 0)).toBe(12);
    // Before anything is measured the default assumes the workerd bench's cost: 20,000 frames/s at full share.
    const d = new FanoutBudget();
    expect(d.frames(1e6, 50, 0) * (1000 / 50)).toBe(20_000);
  });

  it("budgets the time since the last slice: a slice that fires late covers the time that passed", () => {
    const b = new FanoutBudget(opts);
    expect(b.frames(1_000, 50, 0)).toBe(30);
    expect(b.frames(1_000, 100, 6)).toBe(60); // 100 ms passed, on time enough: 60 ms × 0.6 at 1 ms a frame
    expect(b.frames(1_000, 100, 30)).toBe(30); // late: the share halves, the elapsed time still counts
    expect(b.frames(1_000, 0, 0)).toBe(1); // always one frame
  });

  it("halves on every late slice down to the floor, and grows back step by step when on time", () => {
    const b = new FanoutBudget({ ...opts, initialFrameMs: 0.01 }); // 3,000 frames fit a whole share
    expect([b.frames(1e6, 50, 26), b.frames(1e6, 50, 26), b.frames(1e6, 50, 26)]).toEqual([1500, 750, 750]);
    for (let i = 0; i < 5; i++) b.frames(1e6, 50, 500);
    expect(b.current).toBe(1 / 4); // fan-out keeps a quarter of its share however loaded the object is
    expect(b.frames(1e6, 50, 0)).toBe(937); // 5/16 of 3,000
    for (let i = 0; i < 20; i++) b.frames(1e6, 50, 0);
    expect(b.current).toBe(1);
    expect(b.frames(1e6, 50, 0)).toBe(3_000);
  });

  it("learns the per-frame cost from measured slices and sizes the budget to it", () => {
    const b = new FanoutBudget(opts);
    b.measured(200, 10); // 0.05 ms a frame
    expect(b.perFrameMs).toBe(0.05);
    expect(b.frames(1e6, 50, 0)).toBe(600); // 30 ms / 0.05 ms
    for (let i = 0; i < 7; i++) b.measured(100, 20); // the runtime got slower: 0.2 ms a frame…
    expect(b.perFrameMs).toBe(0.05); // …but the lowest of the last 8 still holds
    b.measured(100, 20);
    expect(b.frames(1e6, 50, 0)).toBe(150);
  });

  it("takes the lowest recent cost, so work done meanwhile does not shrink the budget (lateness does that)", () => {
    const b = new FanoutBudget(opts);
    b.measured(100, 10); // 0.1 ms a frame
    for (let i = 0; i < 7; i++) b.measured(100, 400); // requests ran before the measuring timer: 4 ms a frame
    expect(b.perFrameMs).toBe(0.1);
  });

  it("pools measurements until they span the clock's resolution", () => {
    const b = new FanoutBudget(opts);
    // A millisecond clock reads 0 or 1 ms for 40 frames of 10 µs; ten of them pooled read right on average.
    for (let i = 0; i < 9; i++) b.measured(40, i % 2 === 0 ? 1 : 0);
    expect(b.perFrameMs).toBe(1); // nothing pooled to 10 ms yet: still the assumption
    for (let i = 9; i < 30; i++) b.measured(40, i % 5 === 0 ? 2 : 0);
    expect(b.perFrameMs).toBeLessThan(0.05);
    expect(b.perFrameMs).toBeGreaterThan(0.005);
  });

  it("recovers from a high estimate even when the budget has shrunk to a few frames a slice", () => {
    const b = new FanoutBudget(opts);
    for (let i = 0; i < 8; i++) b.measured(20, 1_000); // the loop was backed up: 50 ms a frame
    expect(b.perFrameMs).toBe(opts.maxFrameMs);
    expect(b.frames(1e6, 50, 0)).toBe(6); // 30 ms / 5 ms
    for (let i = 0; i < 20; i++) b.measured(6, 1); // the loop is free again: ~0.17 ms a frame, a few at a time
    expect(b.perFrameMs).toBeLessThan(0.2);
    expect(b.frames(1e6, 50, 0)).toBeGreaterThan(150);
  });

  it("clamps odd measurements", () => {
    const b = new FanoutBudget(opts);
    for (let i = 0; i < 100; i++) b.measured(1_000, 0); // a clock that did not move: pooled, then clamped
    expect(b.perFrameMs).toBeCloseTo(FANOUT_BUDGET.minFrameMs, 6);
    b.measured(100, Number.NaN);
    expect(b.perFrameMs).toBeCloseTo(FANOUT_BUDGET.minFrameMs, 6);
    for (let i = 0; i < 100; i++) b.measured(20, 1e6);
    expect(b.perFrameMs).toBeCloseTo(opts.maxFrameMs, 6);
  });

  it("always allows one frame", () => {
    const b = new FanoutBudget({ ...opts, initialFrameMs: 5 });
    for (let i = 0; i < 10; i++) b.frames(3, 50, 1000);
    expect(b.frames(3, 50, 1000)).toBe(1); // 50 ms × 0.6 × 1/4 fits 1.5 frames of 5 ms
  });

  it("as shipped, keeps sending thousands of frames a second when every measurement is inflated by requests", () => {
    const b = new FanoutBudget();
    // What the 10,000-player run measured in every slice: ~290 µs a frame (requests ran before the probe fired).
    for (let i = 0; i < 64; i++) b.measured(200, 58);
    expect(b.perFrameMs).toBe(FANOUT_BUDGET.maxFrameMs);
    expect(b.frames(1e6, 50, 0) * (1000 / 50)).toBe(6_000);
    // Lateness takes it down to a quarter (requests come first), not to nothing: 1,500 frames/s.
    for (let i = 0; i < 5; i++) b.frames(1e6, 50, 100);
    expect(b.frames(1e6, 50, 100) * (1000 / 50)).toBe(1_500);
  });
});

describe("the FANOUT switch", () => {
  it("off leaves pushes no time share: one frame per slice whatever the slice's length", () => {
    const off = fanoutSwitch("off");
    expect(off?.busyShare).toBe(0);
    const budget = new FanoutBudget(off);
    expect(budget.frames(10_000, 50, 0)).toBe(1);
    expect(budget.frames(10_000, 200, 0)).toBe(1);
    expect(new FanoutBudget().frames(10_000, 50, 0)).toBeGreaterThan(100); // the default does send
  });

  it("on or unset keeps the measured budget, and anything else is reported and keeps it too", () => {
    const warnings: string[] = [];
    const warn = (m: string) => warnings.push(m);
    expect(fanoutSwitch(undefined, warn)).toBeUndefined();
    expect(fanoutSwitch("on", warn)).toBeUndefined();
    expect(warnings).toEqual([]);
    expect(fanoutSwitch("of", warn)).toBeUndefined();
    expect(warnings).toEqual(['FANOUT must be "on" or "off", not "of": pushes stay on']);
  });
});
