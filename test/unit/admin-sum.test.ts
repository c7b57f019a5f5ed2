/** @module The operator's view of a sharded battle sums its shards' counters (pure). */
import { describe, expect, it } from "vitest";
import type { BattleAdminView } from "../../src/battle/views";
import { sumAdminViews } from "../../src/sharding/admin-sum";

function view(n: number, extra: Partial<BattleAdminView> = {}): BattleAdminView {
  return {
    id: "b",
    status: "live",
    stored: { participants: n, answers: 2 * n, attacks: n },
    online: n,
    commits: { batches: n, writes: 3 * n, largest: n },
    pushes: {
      slices: n,
      frames: 10 * n,
      measuredFrames: 4 * n,
      measuredMs: n,
      perFrameMs: 0.01 * n,
      share: 1 / (n + 1),
    },
    requests: { handled: 5 * n, rejected: n, rateLimited: 0 },
    connects: { admitted: n, refused: 0, limited: 0 },
    durations: { bounds: [0.001, 0.01], byAction: { answer: [n, 2 * n, 0], attack: [0, n, n] } },
    freshness: { targetMs: 500, boundMs: 500 + 100 * n },
    ...extra,
  } as unknown as BattleAdminView;
}

describe("sumAdminViews", () => {
  it("adds the shards' counters to the coordinator's own view", () => {
    const sum = sumAdminViews(view(0, { title: "own" } as Partial<BattleAdminView>), [view(1), view(3)]);
    expect((sum as unknown as { title: string }).title).toBe("own");
    expect(sum.stored).toEqual({ participants: 4, answers: 8, attacks: 4 });
    expect(sum.online).toBe(4);
    expect(sum.commits).toEqual({ batches: 4, writes: 12, largest: 3 });
    expect(sum.pushes.frames).toBe(40);
    expect(sum.pushes.measuredFrames).toBe(16);
    // Weighted by measured frames: (0.01·4 + 0.03·12) / 16.
    expect(sum.pushes.perFrameMs).toBeCloseTo(0.025, 10);
    expect(sum.pushes.share).toBeCloseTo(0.25, 10);
    expect(sum.requests).toEqual({ handled: 20, rejected: 4, rateLimited: 0 });
    expect(sum.connects).toEqual({ admitted: 4, refused: 0, limited: 0 });
    expect(sum.durations).toEqual({
      bounds: [0.001, 0.01],
      byAction: { answer: [4, 8, 0], attack: [0, 4, 4] },
    });
    // The stalest object's bound.
    expect(sum.freshness).toEqual({ targetMs: 500, boundMs: 800 });
  });

  it("leaves out buckets that do not line up, and a bound nobody can keep", () => {
    const other = view(5, {
      durations: { bounds: [0.002, 0.01], byAction: { answer: [9, 9, 9] } },
      freshness: { targetMs: 500, boundMs: null },
    });
    const sum = sumAdminViews(view(0, { freshness: { targetMs: 500, boundMs: null } }), [view(1), other]);
    expect(sum.durations.byAction).toEqual({ answer: [1, 2, 0], attack: [0, 1, 1] });
    expect(sum.freshness.boundMs).toBe(600);
    const off = { freshness: { targetMs: 500, boundMs: null } };
    expect(sumAdminViews(view(0, off), [view(1, off)]).freshness.boundMs).toBeNull();
  });

  it("is the coordinator's view when no shard answered", () => {
    const own = view(2);
    expect(sumAdminViews(own, [])).toBe(own);
  });
});
