/**
 * @module Battle rules that mutation testing (docs/mutation.md) found unpinned: operator-identity joins, keyless
 * names, rejoins keeping a player's state, the board version, the shield cap, the `earned` reply, the wait before
 * the start, rank numbering in every leaderboard read, and the public battle view's end, rules and questions.
 */
import { describe, expect, it } from "vitest";
import type { BattleInput } from "../../src/battle/config";
import { BattleGame, type JoinProof } from "../../src/battle/game";
import type { Outcome } from "../../src/battle/outcome";
import type { Schedule } from "../../src/battle/schedule";
import { battleConfig } from "./fixtures";

const T0 = 2_000_000;

function value<T>(o: Outcome<T>): T {
  if (!o.ok) throw new Error(`expected ok, got ${o.error.code}: ${o.error.message}`);
  return o.value;
}

function refusal<T>(o: Outcome<T>) {
  if (o.ok) throw new Error("expected a refusal");
  return o.error;
}

function liveGame(overrides: Partial<BattleInput> = {}, schedule?: Schedule) {
  const game = new BattleGame(
    battleConfig(overrides),
    schedule ?? { startsAt: T0, endsAt: T0 + 60_000, endedAt: null },
  );
  const join = (name: string, proof?: JoinProof) =>
    game.applyJoin(value(game.planJoin(name, `s-${name}`, T0, proof)));
  const answer = (id: number, q: string, a: string | number, at = T0 + 1000) => {
    const plan = value(game.planAnswer(id, q, a, at));
    game.applyAnswer(plan);
    return plan;
  };
  const attack = (from: number, to: number, at = T0 + 2000) => {
    const plan = value(game.planAttack(from, to, at));
    game.applyAttack(plan);
    return plan;
  };
  return { game, join, answer, attack };
}

describe("joins", () => {
  it("an operator-identity battle refuses a join without a verified identity and admits one with it", () => {
    const { game } = liveGame({ identity: "operator" });
    expect(refusal(game.planJoin("alice", "s1", T0)).code).toBe("identity_required");
    expect(
      refusal(game.planJoin("alice", "s1", T0, { issue: "h", present: null, identified: false })).code,
    ).toBe("identity_required");
    const plan = value(game.planJoin("alice", "s1", T0, { issue: "h", present: null, identified: true }));
    expect(plan).toMatchObject({ username: "alice", isNew: true, keyHash: "h" });
    // An open battle does not ask for one.
    expect(value(liveGame().game.planJoin("alice", "s1", T0)).isNew).toBe(true);
  });

  it("a name that joined without a key cannot be taken over by presenting one", () => {
    const { game, join } = liveGame();
    const a = join("alice");
    expect(a.keyHash).toBeNull();
    const o = game.planJoin("alice", "s2", T0, { issue: null, present: "some-hash", identified: false });
    expect(refusal(o).code).toBe("username_taken");
    expect(game.players.get(a.id)?.session).toBe("s-alice");
  });

  it("a proven rejoin keeps the player's score, arrows, shields, answers and place; only the session changes", () => {
    const { game, join, answer } = liveGame();
    const keyed = { issue: "hash-a", present: null, identified: false };
    const a = join("alice", keyed);
    join("bob");
    answer(a.id, "q1", 1);
    const before = { ...game.players.get(a.id)! };
    const version = game.boardVersion;
    const again = game.applyJoin(
      value(game.planJoin("alice", "s-2", T0 + 5000, { ...keyed, present: "hash-a" })),
    );
    expect(again).toBe(game.players.get(a.id));
    expect(again).toMatchObject({
      session: "s-2",
      score: 10,
      arrows: before.arrows,
      shields: before.shields,
      correct: 1,
      reachedAt: before.reachedAt,
      joinedAt: T0,
    });
    expect(game.boardVersion).toBe(version);
    expect(game.board.get(a.id)).toEqual({ id: a.id, score: 10, reachedAt: T0 + 1000 });
    expect(game.rankOf(a.id)).toBe(1);
    expect(refusal(game.planAnswer(a.id, "q1", 1, T0 + 6000)).code).toBe("already_answered");
  });
});

describe("the board version", () => {
  it("moves forward on a rebuild and on every score change, and stays put when no score changes", () => {
    const { game, join, answer, attack } = liveGame({ rules: { startingShields: 1 } });
    const a = join("alice");
    const b = join("bob");
    let v = game.boardVersion;
    game.rebuildBoard();
    expect(game.boardVersion).toBeGreaterThan(v);

    v = game.boardVersion;
    answer(a.id, "q1", 0); // wrong: no points
    expect(game.boardVersion).toBe(v);

    answer(b.id, "q1", 1);
    expect(game.boardVersion).toBeGreaterThan(v);

    v = game.boardVersion;
    expect(attack(a.id, b.id)).toMatchObject({ blocked: true, pointsLost: 0 }); // the shield takes it
    expect(game.boardVersion).toBe(v);
    expect(game.players.get(b.id)).toMatchObject({ score: 10, reachedAt: T0 + 1000 });
  });
});

describe("answers", () => {
  it("grants a shield on every Nth correct answer only while below the shield cap, and reports what was earned", () => {
    const rules = { startingShields: 2, maxShields: 3, shieldEveryCorrect: 1, startingArrows: 0 };
    const { join, answer } = liveGame({ rules });
    const a = join("alice");
    expect(answer(a.id, "q1", 1)).toMatchObject({ shields: 3, earned: { arrows: 1, shields: 1 } });
    expect(answer(a.id, "q3", 1)).toMatchObject({ shields: 3, earned: { arrows: 1, shields: 0 } });
  });

  it("a player already at the shield cap earns no shield", () => {
    const { join, answer } = liveGame({
      rules: { startingShields: 3, maxShields: 3, shieldEveryCorrect: 1 },
    });
    const a = join("alice");
    expect(answer(a.id, "q1", 1)).toMatchObject({ shields: 3, earned: { shields: 0 } });
  });

  it("before the start, play is refused with how long to wait; before any start is set, with no wait", () => {
    const { game, join } = liveGame();
    const a = join("alice");
    const b = join("bob");
    expect(refusal(game.planAnswer(a.id, "q1", 1, T0 - 1500))).toMatchObject({
      code: "battle_not_live",
      retryAfterMs: 1500,
    });
    expect(refusal(game.planAttack(a.id, b.id, T0 - 200))).toMatchObject({
      code: "battle_not_live",
      retryAfterMs: 200,
    });

    const unscheduled = liveGame({}, { startsAt: null, endsAt: null, endedAt: null });
    const c = unscheduled.join("carol");
    const error = refusal(unscheduled.game.planAnswer(c.id, "q1", 1, T0));
    expect(error.code).toBe("battle_not_live");
    expect(error).not.toHaveProperty("retryAfterMs");
  });
});

describe("leaderboard reads", () => {
  function threePlayers() {
    const g = liveGame();
    const a = g.join("alice");
    const b = g.join("bob");
    const c = g.join("carol");
    g.answer(b.id, "q4", "h2o", T0 + 100); // 25
    g.answer(a.id, "q1", 1, T0 + 200); // 10
    return { ...g, a, b, c };
  }

  it("top numbers ranks from 1", () => {
    const { game } = threePlayers();
    expect(game.top(3).map((s) => [s.rank, s.username, s.score])).toEqual([
      [1, "bob", 25],
      [2, "alice", 10],
      [3, "carol", 0],
    ]);
  });

  it("a spectator's view (no player, or an unknown one) has the top and no 'me'", () => {
    const { game } = threePlayers();
    const top = game.top(10);
    expect(game.leaderboardView(null)).toEqual({ total: 3, top, me: null, around: [] });
    expect(game.leaderboardView(999)).toEqual({ total: 3, top, me: null, around: [] });
  });

  it("a page numbers its entries from its offset", () => {
    const { game, a, c } = threePlayers();
    expect(game.page(1, 5)).toEqual({
      total: 3,
      offset: 1,
      entries: [
        { rank: 2, id: a.id, username: "alice", score: 10 },
        { rank: 3, id: c.id, username: "carol", score: 0 },
      ],
    });
    expect(game.page(3, 5)).toEqual({ total: 3, offset: 3, entries: [] });
  });
});

describe("the public battle view", () => {
  it("shows the scheduled end until the battle is ended early, then the actual end", () => {
    const { game } = liveGame();
    expect(game.battleView(T0 + 10).endsAt).toBe(T0 + 60_000);
    game.schedule.endedAt = T0 + 30_000;
    expect(game.battleView(T0 + 40_000)).toMatchObject({ status: "ended", endsAt: T0 + 30_000 });
  });

  it("carries the rules, the speed bonus (or null), and each question's kind, choices and points", () => {
    const plain = liveGame().game;
    const view = plain.battleView(T0);
    expect(view.rules).toEqual({ ...plain.config.rules, speedBonus: null });
    expect(view.questions).toEqual([
      { id: "q1", text: "2+2", kind: "choice", choices: ["3", "4"], points: 10 },
      { id: "q2", text: "France", kind: "exact", points: 10 },
      { id: "q3", text: "Jupiter", kind: "choice", choices: ["Mars", "Jupiter"], points: 10 },
      { id: "q4", text: "water", kind: "exact", points: 25 },
    ]);
    expect(view.questions[1]).not.toHaveProperty("choices");

    const bonus = liveGame({ speedBonus: { max: 5, windowMs: 2000 }, points: 7 }).game;
    const withBonus = bonus.battleView(T0);
    expect(withBonus.rules.speedBonus).toEqual({ max: 5, windowMs: 2000 });
    expect(withBonus.questions.map((q) => q.points)).toEqual([7, 7, 7, 25]);
  });
});
