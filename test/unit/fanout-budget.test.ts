import { describe, expect, it } from "vitest";
import { FanoutBudget } from "../../src/battle/fanout-budget";

describe("FanoutBudget", () => {
  it("sends the full share while slices fire on time", () => {
    const b = new FanoutBudget();
    for (let i = 0; i < 5; i++) expect(b.frames(200, 1)).toBe(200);
  });

  it("halves on every late slice down to the floor, holds in between, and grows back step by step", () => {
    const b = new FanoutBudget({ lateMs: 25, onTimeMs: 8, minShare: 1 / 16, step: 1 / 16 });
    expect([b.frames(160, 30), b.frames(160, 30), b.frames(160, 30)]).toEqual([80, 40, 20]);
    expect(b.frames(160, 500)).toBe(10);
    expect(b.frames(160, 500)).toBe(10); // floor: 1/16
    expect(b.frames(160, 15)).toBe(10); // neither late nor on time: hold
    expect(b.frames(160, 0)).toBe(20);
    expect(b.frames(160, 0)).toBe(30);
    for (let i = 0; i < 20; i++) b.frames(160, 0);
    expect(b.current).toBe(1);
    expect(b.frames(160, 0)).toBe(160);
  });

  it("always allows one frame", () => {
    const b = new FanoutBudget();
    for (let i = 0; i < 10; i++) b.frames(3, 1000);
    expect(b.frames(3, 1000)).toBe(1);
  });
});
