/**
 * @module The top-N JSON cache is kept per size (issue 27): a client alternating `limit` values gets its own entries
 * and never makes the pushes' shared top N be rebuilt; a board change rebuilds each size once.
 */
import { describe, expect, it, vi } from "vitest";
import { BattleGame } from "../../src/battle/game";
import { LeaderboardJson, TOP_SIZES_KEPT } from "../../src/battle/leaderboard-json";
import { battleConfig } from "./fixtures";

const T0 = 1_000_000;

function setup() {
  const game = new BattleGame(battleConfig({ leaderboardSize: 3 }), {
    startsAt: T0,
    endsAt: T0 + 1e6,
    endedAt: null,
  });
  for (let i = 0; i < 20; i++) {
    const plan = game.planJoin(`p${i}`, "s", T0);
    if (!plan.ok) throw new Error(plan.error.message);
    game.applyJoin(plan.value);
  }
  return { game, json: new LeaderboardJson(game), top: vi.spyOn(game.board, "top") };
}

describe("LeaderboardJson.top", () => {
  it("keeps one entry per size: alternating limits rebuild nothing until the board changes", () => {
    const { game, json, top } = setup();
    const a = json.top();
    const b = json.top(10);
    expect(top).toHaveBeenCalledTimes(2);
    for (let i = 0; i < 50; i++) {
      expect(json.top()).toBe(a);
      expect(json.top(10)).toBe(b);
    }
    expect(top).toHaveBeenCalledTimes(2);
    expect(JSON.parse(a)).toHaveLength(3);
    expect(JSON.parse(b)).toHaveLength(10);
    // A score changes: each size is rebuilt once, then served from the cache again.
    const plan = game.planAnswer(5, "q1", 1, T0 + 10);
    if (!plan.ok) throw new Error(plan.error.message);
    game.applyAnswer(plan.value);
    expect(JSON.parse(json.top())[0].id).toBe(5);
    json.top();
    json.top(10);
    json.top(10);
    expect(top).toHaveBeenCalledTimes(4);
  });

  it(`holds at most ${TOP_SIZES_KEPT} sizes and never evicts the battle's own`, () => {
    const { json, top } = setup();
    json.top();
    for (let n = 4; n < 4 + 10 * TOP_SIZES_KEPT; n++) json.top(n);
    const calls = top.mock.calls.length;
    json.top();
    expect(top.mock.calls.length).toBe(calls);
  });
});
