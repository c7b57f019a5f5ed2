/**
 * @module The players' actions in the room: each request's plan (the game's rules), its write (queued on the group
 * commit with its event), its application to memory and its effects (the target's `attacked` frame, pushes, the
 * seam told who changed), and the idempotency of keyed requests.
 */

import { answerEvent, attackEvent } from "../battle/game-events";
import { type Outcome, ok } from "../battle/outcome";
import { RawFrame, RawJson } from "../battle/reply";
import type { ClientRequest, ReplyData, RequestId } from "../protocol";
import type { RoomCore } from "./core";
import { attackedJson, replyJson } from "./frames";

/** A handled request: its reply data (a leaderboard view as JSON), or the remembered reply of a retry. */
export type Handled = Outcome<ReplyData | RawJson | RawFrame>;

export class Actions {
  constructor(private readonly core: RoomCore) {}

  /**
   * Applies one request. `key` (`requestKey`: the client's id and what it asks; null for reads and un-keyed HTTP):
   * a retried answer or attack whose reply is still remembered (accepted, or refused for a final reason) gets that
   * reply again (`RawFrame`) and changes nothing. The outcome is remembered by the pipeline (`remember`).
   */
  handle(playerId: number, msg: ClientRequest, key: string | null): Handled {
    if (key === null) return this.apply(playerId, msg);
    const earlier = this.core.streams.earlier(playerId, key, msg.id);
    if (earlier !== null) return ok(new RawFrame(earlier));
    return this.apply(playerId, msg);
  }

  /**
   * Remembers the outcome of the keyed request `key`: a refusal (if its reason is final), or an accepted write's
   * reply, recorded in the player's stream (returned, with its seq); a remembered reply (`RawFrame`) is not new.
   */
  remember(playerId: number, id: RequestId, key: string, result: Handled, write: boolean): string | null {
    const core = this.core;
    if (!result.ok) {
      core.streams.refused(playerId, key, result.error);
      return null;
    }
    if (!write || result.value instanceof RawFrame) return null;
    const frame = replyJson(id, result as Outcome<ReplyData>);
    return core.streams.record(playerId, frame, core.now(), key, (op) => core.commit.write(op));
  }

  private apply(playerId: number, msg: ClientRequest): Handled {
    const core = this.core;
    const game = core.game!;
    const now = core.now();
    switch (msg.type) {
      case "answer": {
        const plan = game.planAnswer(playerId, msg.questionId, msg.answer, now);
        if (!plan.ok) return plan;
        const answer = plan.value;
        const answerEv = answerEvent(answer);
        core.commit.write(() => core.platform.store.answer(answer, answerEv));
        const oldRank = answer.points !== 0 ? game.rankOf(playerId) : undefined;
        game.applyAnswer(plan.value);
        if (plan.value.points !== 0) core.markChanged(playerId, oldRank);
        core.seam.touched(playerId);
        const {
          playerId: _p,
          answer: _a,
          at: _t,
          attempt: _n,
          reachedAt: _r,
          correctCount: _c,
          ...result
        } = plan.value;
        return ok(result);
      }
      case "attack": {
        const plan = game.planAttack(playerId, msg.target, now);
        if (!plan.ok) return plan;
        const attack = plan.value;
        const oldRank = attack.pointsLost !== 0 ? game.rankOf(attack.target) : undefined;
        game.applyAttack(plan.value);
        const { target, blocked, pointsLost, arrows } = plan.value;
        const attacker = game.players.get(playerId)!;
        const attackEv = attackEvent(attack, attacker, game.players.get(target)!);
        core.commit.write(() => core.platform.store.attack(attack, attackEv));
        const event = core.streams.record(
          target,
          attackedJson(attacker.id, attacker.username, attack),
          now,
          null,
          (op) => core.commit.write(op),
        );
        core.commit.after((committed) => {
          if (committed) for (const t of core.sockets.set.ofPlayer(target)) t.send(event);
        });
        if (pointsLost !== 0) core.markChanged(target, oldRank);
        core.seam.touched(playerId);
        core.seam.touched(target);
        return ok({ target, blocked, pointsLost, arrows });
      }
      case "leaderboard":
        return ok(
          msg.offset === undefined
            ? new RawJson(core.views!.view(playerId, msg.limit))
            : game.page(msg.offset, msg.limit ?? 50),
        );
    }
  }
}
