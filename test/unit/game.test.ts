import { describe, expect, it } from "vitest";
import { BattleInput } from "../../src/battle/config";
import { BattleGame } from "../../src/battle/game";
import type { Outcome } from "../../src/battle/outcome";
import { battleConfig } from "./fixtures";

const T0 = 1_000_000;

function value<T>(o: Outcome<T>): T {
  if (!o.ok) throw new Error(`expected ok, got ${o.error.code}: ${o.error.message}`);
  return o.value;
}

function code<T>(o: Outcome<T>): string {
  if (o.ok) throw new Error("expected an error");
  return o.error.code;
}

function liveGame(overrides = {}) {
  const game = new BattleGame(battleConfig(overrides), { startsAt: T0, endsAt: T0 + 60_000, endedAt: null });
  const join = (name: string) => game.applyJoin(value(game.planJoin(name, `s-${name}`, T0)));
  const answer = (id: number, q: string, a: string | number, at = T0 + 1000) => {
    const o = game.planAnswer(id, q, a, at);
    if (o.ok) game.applyAnswer(o.value);
    return o;
  };
  const attack = (from: number, to: number, at = T0 + 2000) => {
    const o = game.planAttack(from, to, at);
    if (o.ok) game.applyAttack(o.value);
    return o;
  };
  return { game, join, answer, attack };
}

describe("battle rules", () => {
  it("follows the lifecycle by the clock: scheduled, live, ended", () => {
    const { game } = liveGame();
    expect(game.status(T0 - 1)).toBe("scheduled");
    expect(game.status(T0)).toBe("live");
    expect(game.status(T0 + 60_000)).toBe("ended");
    game.schedule.endedAt = T0 + 10;
    expect(game.status(T0 + 10)).toBe("ended");
  });

  it("scores each question at most once, on the server's key", () => {
    const { join, answer } = liveGame();
    const a = join("alice");
    expect(value(answer(a.id, "q1", 1))).toMatchObject({ correct: true, points: 10, score: 10, arrows: 4 });
    expect(code(answer(a.id, "q1", 1))).toBe("already_answered");
    expect(value(answer(a.id, "q2", "  PARIS   city "))).toMatchObject({ correct: true, score: 20 });
    expect(value(answer(a.id, "q3", "Jupiter"))).toMatchObject({ correct: true, score: 30, shields: 2 });
    expect(value(answer(a.id, "q4", "h2o"))).toMatchObject({ points: 25, score: 55 });
    expect(code(answer(a.id, "q9", 1))).toBe("unknown_question");
  });

  it("closes a question after a wrong answer unless more attempts are allowed", () => {
    const one = liveGame();
    const a = one.join("alice");
    expect(value(one.answer(a.id, "q1", 0))).toMatchObject({ correct: false, points: 0, attemptsLeft: 0 });
    expect(code(one.answer(a.id, "q1", 1))).toBe("already_answered");
    const three = liveGame({ rules: { maxAttempts: 3 } });
    const b = three.join("bob");
    expect(value(three.answer(b.id, "q1", 0)).attemptsLeft).toBe(2);
    expect(value(three.answer(b.id, "q1", 1))).toMatchObject({ correct: true, attemptsLeft: 0 });
    expect(code(three.answer(b.id, "q1", 1))).toBe("already_answered");
  });

  it("adds a speed bonus that falls linearly from the start", () => {
    const { join, answer } = liveGame({ speedBonus: { max: 10, windowMs: 10_000 } });
    const a = join("alice");
    const b = join("bob");
    expect(value(answer(a.id, "q1", 1, T0)).bonus).toBe(10);
    expect(value(answer(b.id, "q1", 1, T0 + 5000)).bonus).toBe(5);
    expect(value(answer(b.id, "q2", "paris", T0 + 20_000)).bonus).toBe(0);
  });

  it("refuses play outside the live window", () => {
    const { game, join } = liveGame();
    const a = join("alice");
    const b = join("bob");
    expect(code(game.planAnswer(a.id, "q1", 1, T0 - 1))).toBe("battle_not_live");
    expect(code(game.planAnswer(a.id, "q1", 1, T0 + 60_000))).toBe("battle_ended");
    expect(code(game.planAttack(a.id, b.id, T0 + 60_000))).toBe("battle_ended");
    expect(code(game.planJoin("carol", "s", T0 + 60_000))).toBe("battle_ended");
  });

  it("resolves attacks: arrows spent, shields block, points lost, refusals", () => {
    const { game, join, answer, attack } = liveGame({ rules: { startingArrows: 1, startingShields: 1 } });
    const a = join("alice");
    const b = join("bob");
    expect(code(attack(a.id, a.id))).toBe("self_attack");
    expect(code(attack(a.id, 42))).toBe("unknown_target");
    expect(code(attack(a.id, b.id))).toBe("target_has_no_points");
    value(answer(b.id, "q1", 1));
    expect(value(attack(a.id, b.id))).toMatchObject({ blocked: true, pointsLost: 0, arrows: 0 });
    expect(code(attack(a.id, b.id))).toBe("no_arrows");
    value(answer(a.id, "q1", 1)); // earns an arrow
    expect(value(attack(a.id, b.id))).toMatchObject({ blocked: false, pointsLost: 1, arrows: 0 });
    expect(game.players.get(b.id)).toMatchObject({ score: 9, shields: 0, reachedAt: T0 + 2000 });
  });

  it("orders ties by who reached the score first, then by id", () => {
    const { game, join, answer } = liveGame();
    const a = join("alice");
    const b = join("bob");
    const c = join("carol");
    value(answer(b.id, "q1", 1, T0 + 100));
    value(answer(a.id, "q1", 1, T0 + 200));
    expect(game.top(3).map((s) => s.username)).toEqual(["bob", "alice", "carol"]);
    const view = game.leaderboardView(c.id);
    expect(view.me).toEqual({ rank: 3, score: 0 });
    expect(view.around.map((s) => [s.rank, s.username])).toEqual([
      [1, "bob"],
      [2, "alice"],
      [3, "carol"],
    ]);
  });

  it("treats a rejoin with the same name and its key as the same participant with a new session", () => {
    const { game } = liveGame({ maxPlayers: 2 });
    const keyed = { issue: "hash-a", present: null, identified: false };
    const a = game.applyJoin(value(game.planJoin("Alice", "s-Alice", T0, keyed)));
    expect(code(game.planJoin("  alice ", "s2", T0))).toBe("username_taken");
    expect(code(game.planJoin("ALICE", "s2", T0, { ...keyed, present: "hash-b" }))).toBe("username_taken");
    expect(code(game.planJoin("\uff41lice", "s2", T0, { ...keyed, present: "hash-a" + "x" }))).toBe(
      "username_taken",
    );
    expect(game.players.get(a.id)?.session).toBe("s-Alice");
    const again = value(game.planJoin("  alice ", "s2", T0, { ...keyed, present: "hash-a" }));
    expect(again).toMatchObject({ id: a.id, isNew: false, replaces: "s-Alice", username: "Alice" });
    game.applyJoin(again);
    expect(game.players.get(a.id)?.session).toBe("s2");
    game.applyJoin(value(game.planJoin("bob", "s-bob", T0)));
    expect(code(game.planJoin("carol", "s", T0))).toBe("battle_full");
    expect(code(game.planJoin("", "s", T0))).toBe("invalid_username");
    expect(code(game.planJoin("<script>", "s", T0))).toBe("invalid_username");
  });

  it("never shows answer keys or questions before the start to players", () => {
    const game = new BattleGame(battleConfig(), { startsAt: T0, endsAt: T0 + 60_000, endedAt: null });
    expect(game.battleView(T0 - 1).questions).toEqual([]);
    const live = JSON.stringify(game.battleView(T0));
    expect(live).toContain("2+2");
    expect(live).not.toContain("H2O");
    expect(live).not.toContain('"answer"');
  });

  it("validates battle input", () => {
    const bad = BattleInput.safeParse({
      title: "x",
      questions: [{ id: "q", text: "t", choices: ["a", "b"], answer: 5 }],
    });
    expect(bad.success).toBe(false);
    const dup = BattleInput.safeParse({
      title: "x",
      questions: [
        { id: "q", text: "t", answer: "a" },
        { id: "q", text: "t", answer: "b" },
      ],
    });
    expect(dup.success).toBe(false);
  });
});
