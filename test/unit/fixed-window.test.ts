import { describe, expect, it } from "vitest";
import { FixedWindow } from "../../src/battle/fixed-window";

describe("fixed-window counter", () => {
  it("admits `limit` per key per window and says how long until the window ends", () => {
    const w = new FixedWindow(60_000);
    const t = 120_000 + 15_000;
    expect([1, 2, 3].map(() => w.take("a", 3, t))).toEqual([0, 0, 0]);
    expect(w.take("a", 3, t)).toBe(45_000);
    expect(w.take("b", 3, t)).toBe(0);
    expect(w.take("a", 3, 180_000)).toBe(0);
    expect(w.take("a", 0, t)).toBe(0);
  });
});
