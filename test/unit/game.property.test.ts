/** @module Random message sequences never break the battle's invariants. */
import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { BattleGame } from "../../src/battle/game";
import { battleConfig } from "./fixtures";

const T0 = 5_000_000;
const QUESTIONS = ["q1", "q2", "q3", "q4", "zz"];
const ANSWERS: Array<string | number> = [0, 1, "paris", "Paris", "h2o", "Jupiter", "nope"];

const Op = fc.oneof(
  fc.record({ kind: fc.constant("join" as const), name: fc.constantFrom("a", "b", "c", "d", "A", "e") }),
  fc.record({
    kind: fc.constant("answer" as const),
    who: fc.nat(7),
    q: fc.constantFrom(...QUESTIONS),
    a: fc.constantFrom(...ANSWERS),
  }),
  fc.record({ kind: fc.constant("attack" as const), who: fc.nat(7), target: fc.nat(8) }),
  fc.record({ kind: fc.constant("tick" as const), ms: fc.integer({ min: 0, max: 3_000 }) }),
);

describe("battle invariants (property)", () => {
  it("keeps points, arrows and shields in range, scores each question once, and the board exact", () => {
    fc.assert(
      fc.property(
        fc.array(Op, { minLength: 20, maxLength: 150, size: "max" }),
        fc.integer({ min: 1, max: 3 }),
        (ops, maxAttempts) => {
          const config = battleConfig({
            rules: {
              startingArrows: 2,
              startingShields: 1,
              maxArrows: 4,
              maxShields: 2,
              shieldEveryCorrect: 2,
              maxAttempts,
            },
            speedBonus: { max: 5, windowMs: 30_000 },
          });
          const game = new BattleGame(config, { startsAt: T0, endsAt: T0 + 120_000, endedAt: null });
          let now = T0;
          const scoredCount = new Map<string, number>();
          const expectedScore = new Map<number, number>();
          for (const op of ops) {
            if (op.kind === "tick") now += op.ms;
            else if (op.kind === "join") {
              const plan = game.planJoin(op.name, `s${now}`, now);
              if (plan.ok) game.applyJoin(plan.value);
            } else if (op.kind === "answer") {
              const plan = game.planAnswer(op.who, op.q, op.a, now);
              if (plan.ok) {
                game.applyAnswer(plan.value);
                if (plan.value.correct) {
                  const k = `${op.who}/${op.q}`;
                  scoredCount.set(k, (scoredCount.get(k) ?? 0) + 1);
                }
                expectedScore.set(op.who, (expectedScore.get(op.who) ?? 0) + plan.value.points);
              }
            } else {
              const plan = game.planAttack(op.who, op.target, now);
              if (plan.ok) {
                game.applyAttack(plan.value);
                expectedScore.set(op.target, (expectedScore.get(op.target) ?? 0) - plan.value.pointsLost);
              }
            }
          }
          for (const p of game.players.values()) {
            expect(p.score).toBeGreaterThanOrEqual(0);
            expect(p.score).toBe(expectedScore.get(p.id) ?? 0);
            expect(p.arrows).toBeGreaterThanOrEqual(0);
            expect(p.arrows).toBeLessThanOrEqual(4);
            expect(p.shields).toBeGreaterThanOrEqual(0);
            expect(p.shields).toBeLessThanOrEqual(2);
            for (const [q, n] of p.attempts) {
              expect(n).toBeLessThanOrEqual(maxAttempts);
              expect(QUESTIONS).toContain(q);
            }
          }
          for (const n of scoredCount.values()) expect(n).toBe(1);
          // The leaderboard equals a recomputation from the participants.
          const recomputed = [...game.players.values()]
            .sort((x, y) => y.score - x.score || x.reachedAt - y.reachedAt || x.id - y.id)
            .map((p) => p.id);
          expect(game.board.toRows().map((s) => s.id)).toEqual(recomputed);
          for (const [i, id] of recomputed.entries()) expect(game.rankOf(id)).toBe(i + 1);
        },
      ),
      { seed: 20261123, numRuns: 300 },
    );
  });
});
