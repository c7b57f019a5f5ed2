/**
 * @module The rules of one battle, pure and in memory: joins, server-scored answers, arrows and shields.
 * Every action is planned first (no mutation, so the shell can persist it) and then applied.
 */
import { Leaderboard } from "../leaderboard";
import { ErrorCode } from "../protocol/error-codes";
import type {
  AnswerResult,
  AttackResult,
  BattleView,
  LeaderboardView,
  PageView,
  StandingView,
} from "../protocol/server-messages";
import { type BattleConfig, isCorrect, type QuestionConfig } from "./config";
import { err, type Outcome, ok } from "./outcome";
import type { Player } from "./player";
import { type Schedule, statusAt } from "./schedule";
import { normaliseUsername, USERNAME_RULES, usernameKey } from "./username";

/** What a join proves about who is joining; the Worker hashes keys and checks identity tokens before the call. */
export interface JoinProof {
  /** Hash stored for a new player: of the player key the Worker issues, or of the operator identity. */
  readonly issue: string | null;
  /** Hash of the key (or operator identity) presented to rejoin as an existing player. */
  readonly present: string | null;
  /** The Worker verified an operator-signed identity token naming this username. */
  readonly identified: boolean;
}

/** A join that proves nothing: a new name joins, an existing one is refused. */
export const NO_PROOF: JoinProof = { issue: null, present: null, identified: false };

export interface JoinPlan {
  readonly id: number;
  readonly keyHash: string | null;
  readonly username: string;
  readonly session: string;
  readonly at: number;
  /** The session this join replaces (same username from another device), if any. */
  readonly replaces: string | null;
  readonly isNew: boolean;
  readonly arrows: number;
  readonly shields: number;
}

export interface AnswerPlan extends AnswerResult {
  readonly playerId: number;
  readonly answer: string | number;
  readonly at: number;
  readonly attempt: number;
  readonly reachedAt: number;
  readonly correctCount: number;
}

export interface AttackPlan extends AttackResult {
  readonly attackerId: number;
  readonly at: number;
  readonly targetScore: number;
  readonly targetShields: number;
  readonly targetReachedAt: number;
}

/**
 * A participant of another shard of a sharded battle, as the coordinator last reported them: enough to show them
 * on the leaderboard (and, on the coordinator, in the final standings).
 */
export interface RemotePlayer {
  readonly id: number;
  readonly username: string;
  score: number;
  reachedAt: number;
  arrows: number;
  shields: number;
  correct: number;
  /** The shard that owns them. */
  readonly shard: number;
}

/** How a shard's join gets its participant id and the battle's fullness from the coordinator (sharded battles). */
export interface JoinAlloc {
  /** The id a new player gets (ids are allocated by the coordinator in join order, across all shards). */
  readonly id: number;
  /** The battle already has `maxPlayers` players (across all shards). */
  readonly full: boolean;
}

/** Players a leaderboard view shows above and below "me". */
export const AROUND = 5;

export class BattleGame {
  readonly players = new Map<number, Player>();
  /** Participants of the battle's other shards (empty unless the battle is sharded); `players` holds ours. */
  readonly remote = new Map<number, RemotePlayer>();
  board = new Leaderboard();
  /** Bumped on every leaderboard change, so serialised views can be cached per version. */
  boardVersion = 0;
  private readonly byName = new Map<string, number>();
  private readonly questions: Map<string, QuestionConfig>;
  private nextId = 1;

  constructor(
    readonly config: BattleConfig,
    readonly schedule: Schedule,
  ) {
    this.questions = new Map(config.questions.map((q) => [q.id, q]));
  }

  status(now: number) {
    return statusAt(this.schedule, now);
  }

  /** Restores a player from storage (the shell calls this while waking). */
  restore(p: Player): void {
    this.players.set(p.id, p);
    this.byName.set(usernameKey(p.username), p.id);
    this.nextId = Math.max(this.nextId, p.id + 1);
  }

  /** Rebuilds the leaderboard after all players were restored. */
  rebuildBoard(): void {
    const rows = [];
    for (const p of this.players.values()) rows.push({ id: p.id, score: p.score, reachedAt: p.reachedAt });
    this.board = Leaderboard.fromRows(rows);
    this.boardVersion++;
  }

  /**
   * A new name joins as a new player; an existing name (by look-alike key) only with proof that it is the same
   * player, otherwise `username_taken` and the original player is untouched. A rejoin proven by a player key takes
   * `proof.issue` as the player's new key hash (the presented key stops working).
   */
  planJoin(
    rawName: string,
    session: string,
    now: number,
    proof: JoinProof = NO_PROOF,
    alloc?: JoinAlloc,
  ): Outcome<JoinPlan> {
    if (this.status(now) === "ended") return err(ErrorCode.BATTLE_ENDED, "the battle has ended");
    if (this.config.identity === "operator" && !proof.identified) {
      return err(
        ErrorCode.IDENTITY_REQUIRED,
        "this battle admits players with an identity token from its organiser",
      );
    }
    const username = normaliseUsername(rawName);
    if (username === null) {
      return err(ErrorCode.INVALID_USERNAME, USERNAME_RULES);
    }
    const existingId = this.byName.get(usernameKey(username));
    const existing = existingId === undefined ? undefined : this.players.get(existingId);
    if (existing) {
      if (existing.keyHash === null || proof.present === null || !sameHash(existing.keyHash, proof.present)) {
        return err(
          ErrorCode.USERNAME_TAKEN,
          "this username is taken in this battle; to play as it from another device, rejoin with its player key",
        );
      }
      // A key-proven rejoin rotates the key: the Worker's freshly issued one replaces the presented one, so a key
      // seen once (a shared computer) is no takeover for the rest of the battle. An identity keeps its hash.
      return ok({
        id: existing.id,
        keyHash: proof.identified || proof.issue === null ? existing.keyHash : proof.issue,
        username: existing.username,
        session,
        at: now,
        replaces: existing.session,
        isNew: false,
        arrows: existing.arrows,
        shields: existing.shields,
      });
    }
    if (alloc ? alloc.full : this.players.size >= this.config.maxPlayers) {
      return err(ErrorCode.BATTLE_FULL, `the battle is full (${this.config.maxPlayers} players)`);
    }
    // A shard never gives a second player an id it holds (a coordinator that lost a join's answer must not reuse it).
    if (alloc && (this.players.has(alloc.id) || this.remote.has(alloc.id))) {
      return err(ErrorCode.INTERNAL, `participant id ${alloc.id} is taken on this shard`);
    }
    const { startingArrows, startingShields } = this.config.rules;
    return ok({
      id: alloc?.id ?? this.nextId,
      keyHash: proof.issue,
      username,
      session,
      at: now,
      replaces: null,
      isNew: true,
      arrows: startingArrows,
      shields: startingShields,
    });
  }

  applyJoin(plan: JoinPlan): Player {
    const existing = this.players.get(plan.id);
    if (existing && !plan.isNew) {
      existing.session = plan.session;
      existing.keyHash = plan.keyHash;
      return existing;
    }
    const player: Player = {
      id: plan.id,
      username: plan.username,
      session: plan.session,
      keyHash: plan.keyHash,
      score: 0,
      reachedAt: plan.at,
      arrows: plan.arrows,
      shields: plan.shields,
      correct: 0,
      joinedAt: plan.at,
      attempts: new Map(),
      scored: new Set(),
    };
    this.restore(player);
    this.board.set(player.id, 0, plan.at);
    this.boardVersion++;
    return player;
  }

  planAnswer(
    playerId: number,
    questionId: string,
    answer: string | number,
    now: number,
  ): Outcome<AnswerPlan> {
    const p = this.players.get(playerId);
    if (!p) return err(ErrorCode.UNAUTHORIZED, "unknown participant");
    const live = this.requireLive(now);
    if (live) return live;
    const q = this.questions.get(questionId);
    if (!q) return err(ErrorCode.UNKNOWN_QUESTION, `no question ${JSON.stringify(questionId)}`);
    const opensAt = this.schedule.startsAt ?? now;
    const { maxAttempts, arrowsPerCorrect, shieldEveryCorrect, maxArrows, maxShields } = this.config.rules;
    const used = p.attempts.get(questionId) ?? 0;
    if (p.scored.has(questionId) || used >= maxAttempts) {
      return err(ErrorCode.ALREADY_ANSWERED, "this question is closed for you");
    }
    const correct = isCorrect(q, answer);
    let bonus = 0;
    let points = 0;
    let earnedArrows = 0;
    let earnedShields = 0;
    let correctCount = p.correct;
    if (correct) {
      const bonusRule = this.config.speedBonus;
      if (bonusRule) {
        const left = 1 - (now - opensAt) / bonusRule.windowMs;
        bonus = left > 0 ? Math.ceil(bonusRule.max * left) : 0;
      }
      points = (q.points ?? this.config.points) + bonus;
      correctCount += 1;
      earnedArrows = Math.max(0, Math.min(arrowsPerCorrect, maxArrows - p.arrows));
      if (shieldEveryCorrect > 0 && correctCount % shieldEveryCorrect === 0 && p.shields < maxShields) {
        earnedShields = 1;
      }
    }
    const attempt = used + 1;
    return ok({
      playerId,
      questionId,
      answer,
      at: now,
      attempt,
      correct,
      points,
      bonus,
      score: p.score + points,
      reachedAt: points !== 0 ? now : p.reachedAt,
      arrows: p.arrows + earnedArrows,
      shields: p.shields + earnedShields,
      earned: { arrows: earnedArrows, shields: earnedShields },
      correctCount,
      attemptsLeft: correct ? 0 : maxAttempts - attempt,
    });
  }

  applyAnswer(plan: AnswerPlan): void {
    const p = this.players.get(plan.playerId)!;
    p.attempts.set(plan.questionId, plan.attempt);
    if (plan.correct) p.scored.add(plan.questionId);
    p.correct = plan.correctCount;
    p.arrows = plan.arrows;
    p.shields = plan.shields;
    this.moveScore(p, plan.score, plan.reachedAt);
  }

  planAttack(attackerId: number, targetId: number, now: number): Outcome<AttackPlan> {
    const attacker = this.players.get(attackerId);
    if (!attacker) return err(ErrorCode.UNAUTHORIZED, "unknown participant");
    const live = this.requireLive(now);
    if (live) return live;
    if (targetId === attackerId) return err(ErrorCode.SELF_ATTACK, "you cannot attack yourself");
    const target = this.players.get(targetId);
    if (!target) return err(ErrorCode.UNKNOWN_TARGET, `no participant ${targetId}`);
    if (attacker.arrows <= 0) return err(ErrorCode.NO_ARROWS, "you have no arrows");
    return this.planHit(target, attackerId, attacker.arrows - 1, now);
  }

  /**
   * The hit on `target` (one of our players) once the attacker's side is checked: `arrows` are the attacker's after
   * the attack. A local attack's last step, and the whole of a cross-shard attack on the target's shard.
   */
  planHit(target: Player, attackerId: number, arrows: number, now: number): Outcome<AttackPlan> {
    if (target.score <= 0) return err(ErrorCode.TARGET_HAS_NO_POINTS, "the target has no points to lose");
    const blocked = target.shields > 0;
    const pointsLost = blocked ? 0 : 1;
    return ok({
      attackerId,
      target: target.id,
      at: now,
      blocked,
      pointsLost,
      arrows,
      targetShields: blocked ? target.shields - 1 : target.shields,
      targetScore: target.score - pointsLost,
      targetReachedAt: blocked ? target.reachedAt : now,
    });
  }

  applyAttack(plan: AttackPlan): void {
    this.players.get(plan.attackerId)!.arrows = plan.arrows;
    this.applyHit(plan);
  }

  /** A cross-shard attack's hit on one of our players (the attacker lives on another shard). */
  applyHit(plan: AttackPlan): void {
    const target = this.players.get(plan.target)!;
    target.shields = plan.targetShields;
    this.moveScore(target, plan.targetScore, plan.targetReachedAt);
  }

  /** A player's score changed: their place on the board moves and the board's version with it. */
  private moveScore(p: Player, score: number, reachedAt: number): void {
    if (p.score === score) return;
    p.score = score;
    p.reachedAt = reachedAt;
    this.board.set(p.id, score, reachedAt);
    this.boardVersion++;
  }

  /** Null while live, otherwise the refusal an action gets now. */
  requireLive(now: number): Outcome<never> | null {
    const status = this.status(now);
    if (status === "live") return null;
    if (status === "ended") return err(ErrorCode.BATTLE_ENDED, "the battle has ended");
    const startsAt = this.schedule.startsAt;
    return startsAt === null
      ? err(ErrorCode.BATTLE_NOT_LIVE, "the battle has not been started")
      : err(ErrorCode.BATTLE_NOT_LIVE, `the battle starts at ${startsAt}`, startsAt - now);
  }

  rankOf(id: number): number {
    return this.board.rankOf(id) ?? 0;
  }

  standing(id: number, rank: number): StandingView {
    const p = this.players.get(id) ?? this.remote.get(id)!;
    return { rank, id, username: p.username, score: p.score };
  }

  top(n: number): StandingView[] {
    return this.board.top(n).map((s, i) => this.standing(s.id, i + 1));
  }

  around(id: number, rank: number, k = AROUND): StandingView[] {
    const rows = this.board.around(id, k);
    const selfIndex = rows.findIndex((s) => s.id === id);
    return rows.map((s, i) => this.standing(s.id, rank - selfIndex + i));
  }

  leaderboardView(playerId: number | null, topN = this.config.leaderboardSize): LeaderboardView {
    const top = this.top(topN);
    const p = playerId === null ? undefined : this.players.get(playerId);
    if (!p) return { total: this.board.size, top, me: null, around: [] };
    const rank = this.rankOf(p.id);
    return { total: this.board.size, top, me: { rank, score: p.score }, around: this.around(p.id, rank) };
  }

  page(offset: number, limit: number): PageView {
    const entries = this.board.page(offset, limit).map((s, i) => this.standing(s.id, offset + i + 1));
    return { total: this.board.size, offset, entries };
  }

  /** The player-facing battle: never the answer keys, and no questions before the start. */
  battleView(now: number): BattleView {
    const c = this.config;
    const status = this.status(now);
    return {
      id: c.id,
      title: c.title,
      status,
      startsAt: this.schedule.startsAt,
      endsAt: this.schedule.endedAt ?? this.schedule.endsAt,
      durationMs: c.durationMs,
      maxPlayers: c.maxPlayers,
      players: this.board.size,
      rules: { ...c.rules, speedBonus: c.speedBonus ?? null },
      questions:
        status === "scheduled"
          ? []
          : c.questions.map((q) => ({
              id: q.id,
              text: q.text,
              kind: q.choices ? "choice" : "exact",
              ...(q.choices ? { choices: q.choices } : {}),
              points: q.points ?? c.points,
            })),
    };
  }
}

/** Compares two hashes without an early exit, so timing says nothing about how much of a key matched. */
function sameHash(a: string, b: string): boolean {
  let diff = a.length ^ b.length;
  for (let i = 0; i < Math.max(a.length, b.length); i++)
    diff |= (a.charCodeAt(i) || 0) ^ (b.charCodeAt(i) || 0);
  return diff === 0;
}
