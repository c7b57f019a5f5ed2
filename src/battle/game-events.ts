/**
 * @module The game's changes as persistence events (`src/persistence/events.ts`): what the battle writes to its
 * outbox with each join, answer and attack. Lives with the game, so the persistence layer knows nothing of it.
 */
import { type BattleEvent, type PlayerState, playerState } from "../persistence/events";
import type { AnswerPlan, AttackPlan, JoinPlan } from "./game";
import type { Player } from "./player";

/** The answer's event; `plan` is the game's plan (the player's state after it). */
export function answerEvent(plan: AnswerPlan): BattleEvent {
  return {
    k: "answer",
    p: plan.playerId,
    q: plan.questionId,
    n: plan.attempt,
    a: String(plan.answer),
    c: plan.correct ? 1 : 0,
    pts: plan.points,
    bo: plan.bonus,
    at: plan.at,
    st: [plan.score, plan.arrows, plan.shields, plan.correctCount, plan.reachedAt],
  };
}

/**
 * The attack's event; `attacker` and `target` are the players after the attack was applied. `attacker` null: a
 * cross-shard attack written by the target's shard (`r: 1`), which knows only the attacker's arrows (`plan.arrows`).
 */
export function attackEvent(plan: AttackPlan, attacker: Player | null, target: Player): BattleEvent {
  const bl = plan.blocked ? 1 : 0;
  const xs = playerState(target);
  if (attacker === null) {
    const st: PlayerState = [0, plan.arrows, 0, 0, 0];
    return {
      k: "attack",
      p: plan.attackerId,
      x: plan.target,
      bl,
      lost: plan.pointsLost,
      at: plan.at,
      st,
      xs,
      r: 1,
    };
  }
  const st = playerState(attacker);
  return { k: "attack", p: plan.attackerId, x: plan.target, bl, lost: plan.pointsLost, at: plan.at, st, xs };
}

export function joinEvent(plan: JoinPlan): BattleEvent {
  return plan.isNew
    ? {
        k: "join",
        p: plan.id,
        u: plan.username,
        s: plan.session,
        at: plan.at,
        st: [0, plan.arrows, plan.shields, 0, plan.at],
      }
    : { k: "session", p: plan.id, s: plan.session, at: plan.at };
}
