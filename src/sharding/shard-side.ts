/**
 * @module The shard side of a sharded battle, inside a shard's `BattleRoom`: applying the coordinator's changes to
 * the replica of the global order, snapshots for the coordinator, and cross-shard attacks (the attacker's side:
 * reserve, call, commit or refund; the target's side: apply, write, deliver, remember by attack id). The room
 * hands it its parts through `ShardSideHost` (src/sharding/topology.ts builds it); a one-object battle never calls it.
 */

import type { BattleStore } from "../battle/battle-store";
import type { BattleGame } from "../battle/game";
import { attackEvent } from "../battle/game-events";
import type { GroupCommit } from "../battle/group-commit";
import { err, type Outcome, ok } from "../battle/outcome";
import type { Player } from "../battle/player";
import type { PlayerStreams } from "../battle/player-streams";
import { RawFrame } from "../battle/reply";
import { playerState } from "../persistence/events";
import type { ReplyData, RequestId } from "../protocol";
import { ErrorCode } from "../protocol/error-codes";
import { attackedJson } from "../room/frames";
import {
  type RemoteAttackRequest,
  type RemoteAttackResult,
  type ShardNetwork,
  type ShardSnapshot,
  type SyncEntry,
  syncEntry,
} from "./protocol";
import { type PendingAttack, RemoteHits } from "./remote-hits";
import type { ShardLink } from "./shard-link";

/** Calls to the target's shard before a cross-shard attack is refunded (the attack id makes a repeat harmless). */
export const REMOTE_ATTACK_ATTEMPTS = 2;

/** What the shard side uses of its room (the room's `RoomParts` provide it). */
export interface ShardSideHost {
  game(): BattleGame | null;
  readonly store: BattleStore;
  readonly network: ShardNetwork | undefined;
  readonly commit: GroupCommit;
  readonly streams: PlayerStreams;
  now(): number;
  socketsOf(playerId: number): Iterable<{ send(frame: string): void }>;
  online(): number;
  /** Remembers a keyed request's outcome as the room's pipeline does (a refusal, or the reply in the stream). */
  remember(playerId: number, id: RequestId, key: string, result: Outcome<ReplyData>): void;
  markChanged(playerId?: number, oldRank?: number): void;
  log(msg: string, e?: unknown): void;
}

export class ShardSide {
  private hitsStore: RemoteHits | null = null;

  /** `link`: a shard's link to its coordinator (null elsewhere: the shard side then only applies replicas). */
  constructor(
    private readonly host: ShardSideHost,
    private readonly link: () => ShardLink | null,
  ) {}

  /** Attack-id answers and spent arrows, in this shard's SQLite (the table is made on first use). */
  private get hits(): RemoteHits {
    this.hitsStore ??= new RemoteHits(this.host.store.sql);
    return this.hitsStore;
  }

  /** A local player's state for the coordinator, or null if unknown here. */
  entryOf(id: number): SyncEntry | null {
    const game = this.host.game();
    const p = game?.players.get(id);
    return p ? syncEntry(p, game!.config.shardIndex ?? 0) : null;
  }

  /** Participants of other shards changed: the replica of the global order follows (our own players win). */
  applyRemote(entries: readonly SyncEntry[]): void {
    const game = this.host.game();
    if (!game) return;
    let changed = false;
    for (const [id, score, reachedAt, arrows, shields, correct, username, shard] of entries) {
      if (game.players.has(id)) continue;
      this.noPoints.delete(id);
      const p = game.remote.get(id);
      if (p) {
        p.arrows = arrows;
        p.shields = shields;
        p.correct = correct;
        if (p.score === score && p.reachedAt === reachedAt) continue;
        p.score = score;
        p.reachedAt = reachedAt;
      } else {
        game.remote.set(id, { id, username, score, reachedAt, arrows, shields, correct, shard });
      }
      game.board.set(id, score, reachedAt);
      changed = true;
    }
    if (changed) {
      game.boardVersion++;
      this.host.markChanged();
    }
  }

  /** Everything this shard holds of its own players (committed first). */
  snapshot(): ShardSnapshot | null {
    const game = this.host.game();
    if (!game || !this.link()) return null;
    this.host.commit.flush();
    const entries: SyncEntry[] = [];
    for (const id of game.players.keys()) entries.push(this.entryOf(id)!);
    return {
      shard: game.config.shardIndex!,
      incarnation: this.link()!.incarnation,
      since: this.link()!.since,
      batch: this.link()!.batch,
      online: this.host.online(),
      entries,
    };
  }

  /**
   * The attacker's side of a cross-shard attack: the arrow is reserved (stored as spent, with a pending row, before
   * the call, so a restart of this shard in between cannot forget it), the target's shard applies the hit (by
   * attack id, so a retry cannot apply it twice), and the arrow stays spent on its answer or is refunded on a
   * refusal or a failure. Checks run in the order a one-object battle runs them.
   */
  async attackRemote(
    attackerId: number,
    targetId: number,
    request: { id: string | number; key: string | null } | null = null,
  ): Promise<Outcome<ReplyData>> {
    const game = this.host.game()!;
    const link = this.link()!;
    const now = this.host.now();
    const attacker = game.players.get(attackerId);
    if (!attacker) return err(ErrorCode.UNAUTHORIZED, "unknown participant");
    const notLive = game.requireLive(now);
    if (notLive) return notLive;
    // A target who joined a moment ago on another shard may not be in our replica yet: one report brings it, and
    // however many attacks ask, the shard makes at most one such report a period.
    if (!game.remote.has(targetId)) await link.refresh();
    const target = game.remote.get(targetId);
    if (!target) return err(ErrorCode.UNKNOWN_TARGET, `no participant ${targetId}`);
    if (attacker.arrows <= 0) return err(ErrorCode.NO_ARROWS, "you have no arrows");
    // The replica says the target has no points (or its shard said so and nothing newer was heard since): the
    // target's shard is asked first, and a refusal costs nothing but that read (no reserved arrow, no write).
    if (target.score <= 0 || this.noPoints.has(targetId)) {
      const probe = await this.probe(attacker, target.shard, targetId);
      if (probe !== null) return probe;
    }
    attacker.arrows -= 1;
    const pending: PendingAttack = {
      req: {
        id: `${link.incarnation}:${attackerId}:${++this.attackSeq}`,
        attacker: { id: attackerId, username: attacker.username },
        arrows: attacker.arrows,
        target: targetId,
      },
      shard: game.remote.get(targetId)!.shard,
      requestId: request?.id ?? null,
      key: request?.key ?? null,
    };
    this.host.commit.write(() => this.hits.reserve(pending));
    if (!(await this.committed())) return err(ErrorCode.INTERNAL, "the write failed; try again");
    return this.settle(pending, attacker, await this.callTarget(pending));
  }

  /** The target's shard's refusal of a hit it has not applied, or null if it would apply it (or did not answer). */
  private async probe(attacker: Player, shard: number, target: number): Promise<Outcome<ReplyData> | null> {
    const game = this.host.game()!;
    try {
      const answer = await this.host.network!.shard(game.config.id, shard).remoteAttack({
        id: `probe:${attacker.id}`,
        attacker: { id: attacker.id, username: attacker.username },
        arrows: attacker.arrows,
        target,
        probe: true,
      });
      if (answer.ok) {
        this.noPoints.delete(target);
        return null;
      }
      if (answer.error.code === ErrorCode.TARGET_HAS_NO_POINTS) this.noPoints.add(target);
      return answer;
    } catch (e) {
      this.host.log("cross-shard attack probe failed", e);
      return null;
    }
  }

  /** The target's shard's answer, after up to `REMOTE_ATTACK_ATTEMPTS` calls with the same attack id; null if none. */
  private async callTarget(p: PendingAttack): Promise<Outcome<RemoteAttackResult> | null> {
    const game = this.host.game()!;
    for (let attempt = 0; attempt < REMOTE_ATTACK_ATTEMPTS; attempt++) {
      try {
        return await this.host.network!.shard(game.config.id, p.shard).remoteAttack(p.req);
      } catch (e) {
        this.host.log("cross-shard attack failed", e);
      }
    }
    return null;
  }

  /** Keeps the reserved arrow spent (the hit landed) or refunds it; either way the pending row goes. */
  private async settle(
    p: PendingAttack,
    attacker: Player,
    answer: Outcome<RemoteAttackResult> | null,
  ): Promise<Outcome<ReplyData>> {
    const now = this.host.now();
    if (answer !== null && !answer.ok && answer.error.code === ErrorCode.TARGET_HAS_NO_POINTS)
      this.noPoints.add(p.req.target);
    if (answer === null || !answer.ok) {
      // Never past the cap: an answer in between may have earned arrows against the reduced count.
      attacker.arrows = Math.min(attacker.arrows + 1, this.host.game()!.config.rules.maxArrows);
      this.host.commit.write(() => {
        this.storeArrows(attacker, now);
        this.hits.settle(p.req.id);
      });
      if (!(await this.committed())) return err(ErrorCode.INTERNAL, "the write failed; try again");
      return answer ?? err(ErrorCode.INTERNAL, "the target's shard did not answer; your arrow was refunded");
    }
    const arrows = attacker.arrows;
    this.host.commit.write(() => {
      this.storeArrows(attacker, now);
      this.hits.settle(p.req.id);
    });
    this.link()?.touch(attacker.id);
    if (!(await this.committed())) return err(ErrorCode.INTERNAL, "the write failed; try again");
    return ok({
      target: p.req.target,
      blocked: answer.value.blocked,
      pointsLost: answer.value.pointsLost,
      arrows,
    });
  }

  private committed(): Promise<boolean> {
    return new Promise<boolean>((resolve) => this.host.commit.after(resolve));
  }

  private settling: Promise<number> | null = null;

  /**
   * Settles the attacks a restart left reserved: the target's shard is asked again with the same attack id (it
   * answers what it answered before, or applies the hit now if the call never reached it), and the arrow stays
   * spent or is refunded as if the call had just returned. A reply is remembered under the player's idempotency
   * key, so a client retrying that request gets it instead of a second attack. One whose target's shard still does
   * not answer stays reserved until the next wake. Returns how many were settled.
   */
  settlePending(): Promise<number> {
    this.settling ??= this.settleAll().finally(() => {
      this.settling = null;
    });
    return this.settling;
  }

  private async settleAll(): Promise<number> {
    const game = this.host.game();
    if (!game || !this.link() || !this.host.network) return 0;
    let settled = 0;
    for (const p of this.hits.pending()) {
      const attacker = game.players.get(p.req.attacker.id);
      if (!attacker) continue;
      const answer = await this.callTarget(p);
      // Refunding without an answer could refund an arrow whose hit landed: it stays reserved for the next wake.
      if (answer === null) continue;
      const result = await this.settle(p, attacker, answer);
      if (p.key !== null && p.requestId !== null) this.host.remember(attacker.id, p.requestId, p.key, result);
      settled++;
    }
    if (settled > 0) await this.committed();
    return settled;
  }

  private attackSeq = 0;
  /** Remote players whose shard refused a hit for want of points, until the replica hears of them again. */
  private readonly noPoints = new Set<number>();
  /** Keyed cross-shard attacks in flight, by player and key: a retry waits for the first instead of applying. */
  private readonly keyedRuns = new Map<string, Promise<unknown>>();

  /**
   * Stores the attacker's arrows after a cross-shard attack (spent, or refunded), with a `state` event so the sinks
   * get them even if the attacker never acts again (the attack's own event is in the target's stream).
   */
  private storeArrows(attacker: { id: number } & Parameters<typeof playerState>[0], at: number): void {
    this.hits.spendArrow(attacker.id, attacker.arrows);
    this.host.store.outbox.append({ k: "state", p: attacker.id, at, st: playerState(attacker) }, at);
  }

  /**
   * A cross-shard attack request (the attacker's side), run once per key: a retry that arrives while the first is in
   * flight waits for it, then gets its remembered reply (`RawFrame`). `settled` is the room's pipeline after the
   * action (count, remember, reply); it runs before a waiting retry looks for the remembered reply.
   */
  async request(
    playerId: number,
    id: RequestId,
    target: number,
    key: string | null,
    settled: (result: Outcome<ReplyData | RawFrame>) => void | Promise<void>,
  ): Promise<void> {
    if (key === null) return settled(await this.attackRemote(playerId, target, { id, key }));
    const slot = `${playerId}\u0000${key}`;
    for (let first = this.keyedRuns.get(slot); first; first = this.keyedRuns.get(slot)) {
      await first.catch(() => undefined);
    }
    const earlier = this.host.streams.earlier(playerId, key, id);
    if (earlier !== null) return settled(ok(new RawFrame(earlier)));
    const mine = this.attackRemote(playerId, target, { id, key })
      .then(settled)
      .finally(() => {
        if (this.keyedRuns.get(slot) === mine) this.keyedRuns.delete(slot);
      });
    this.keyedRuns.set(slot, mine);
    return mine;
  }

  /**
   * The target's side of a cross-shard attack: same rules as a local one, written and delivered (the `attacked`
   * event, with the target's stream seq) by this shard; the answer is remembered by attack id.
   */
  remoteAttack(req: RemoteAttackRequest): Promise<Outcome<RemoteAttackResult>> {
    if (req.probe) return Promise.resolve(this.wouldHit(req.target));
    const inFlight = this.pendingHits.get(req.id);
    if (inFlight) return inFlight;
    const run = this.hit(req).finally(() => this.pendingHits.delete(req.id));
    this.pendingHits.set(req.id, run);
    return run;
  }

  private readonly pendingHits = new Map<string, Promise<Outcome<RemoteAttackResult>>>();

  /** Whether a hit on `targetId` would be applied now (a probe: nothing changes). */
  private wouldHit(targetId: number): Outcome<RemoteAttackResult> {
    const game = this.host.game();
    if (!game || !this.link()) return err(ErrorCode.NOT_FOUND, "no such battle");
    const notLive = game.requireLive(this.host.now());
    if (notLive) return notLive;
    const target = game.players.get(targetId);
    if (!target) return err(ErrorCode.UNKNOWN_TARGET, `no participant ${targetId}`);
    const plan = game.planHit(target, 0, 0, this.host.now());
    return plan.ok ? ok({ blocked: plan.value.blocked, pointsLost: plan.value.pointsLost }) : plan;
  }

  private async hit(req: RemoteAttackRequest): Promise<Outcome<RemoteAttackResult>> {
    const game = this.host.game();
    if (!game || !this.link()) return err(ErrorCode.NOT_FOUND, "no such battle");
    const known = this.hits.answerOf(req.id);
    if (known) return ok(known);
    const now = this.host.now();
    const notLive = game.requireLive(now);
    if (notLive) return notLive;
    const target = game.players.get(req.target);
    if (!target) return err(ErrorCode.UNKNOWN_TARGET, `no participant ${req.target}`);
    const planned = game.planHit(target, req.attacker.id, req.arrows, now);
    if (!planned.ok) return planned;
    const plan = planned.value;
    const { blocked, pointsLost } = plan;
    const oldRank = pointsLost !== 0 ? game.rankOf(target.id) : undefined;
    game.applyHit(plan);
    const event = attackEvent(plan, null, target);
    const answer: RemoteAttackResult = { blocked, pointsLost };
    this.host.commit.write(() => {
      // The attacker's row is on their own shard: the statement that would update it here changes nothing.
      this.host.store.attack(plan, event);
      this.hits.remember(req.id, answer);
    });
    const frame = this.host.streams.record(
      target.id,
      attackedJson(req.attacker.id, req.attacker.username, plan),
      now,
      null,
      (op) => this.host.commit.write(op),
    );
    this.host.commit.after((committed) => {
      if (committed) for (const t of this.host.socketsOf(target.id)) t.send(frame);
    });
    if (pointsLost !== 0) this.host.markChanged(target.id, oldRank);
    this.link()?.touch(target.id);
    const committed = await this.committed();
    return committed ? ok(answer) : err(ErrorCode.INTERNAL, "the write failed; try again");
  }
}
