/** @module Joins in the room: the per-address join limit, the game's join rules, the write and its effects. */
import { FixedWindow } from "../battle/fixed-window";
import { type JoinAlloc, type JoinProof, NO_PROOF } from "../battle/game";
import { joinEvent } from "../battle/game-events";
import { err, noSuchBattle, type Outcome, ok } from "../battle/outcome";
import type { JoinResult } from "../battle/views";
import { JOIN_NEW, JOIN_REFUSED, JOIN_REJOIN } from "../metrics/battle-metrics";
import { CloseCode, ErrorCode } from "../protocol";
import type { SyncEntry } from "../sharding/protocol";
import type { RoomCore } from "./core";

export const DEFAULT_JOINS_PER_ADDRESS_PER_MINUTE = 30;

export class Joins {
  /** Joins per address in the current minute. */
  private readonly joinWindow = new FixedWindow(60_000);

  constructor(private readonly core: RoomCore) {}

  get defaultLimit(): number {
    return this.core.platform.joinsPerAddressPerMinute ?? DEFAULT_JOINS_PER_ADDRESS_PER_MINUTE;
  }

  /** `address`: the client's rate-limit key (undefined for exempt callers), counted against the join limit. */
  join(
    username: string,
    session: string,
    proof: JoinProof = NO_PROOF,
    address?: string,
    alloc?: JoinAlloc,
  ): Outcome<JoinResult> {
    const core = this.core;
    const game = core.game;
    if (!game) return noSuchBattle();
    const instruments = core.instruments;
    if (address !== undefined) {
      const limit = game.config.joinsPerAddressPerMinute ?? this.defaultLimit;
      const wait = this.joinWindow.take(address, limit, core.now());
      if (wait > 0) {
        instruments.joins.inc(JOIN_REFUSED);
        // No address in the line: it is the client's rate-limit key (an IP), not needed to act on the refusal.
        core.note("info", "join_refused", { code: ErrorCode.RATE_LIMITED, retryAfterMs: wait });
        return err(ErrorCode.RATE_LIMITED, "too many joins from this address", wait);
      }
    }
    const plan = game.planJoin(username, session, core.now(), proof, alloc);
    if (!plan.ok) {
      instruments.joins.inc(JOIN_REFUSED);
      core.note("info", "join_refused", { code: plan.error.code });
      return plan;
    }
    instruments.joins.inc(plan.value.isNew ? JOIN_NEW : JOIN_REJOIN);
    core.platform.store.join(plan.value, joinEvent(plan.value));
    const player = game.applyJoin(plan.value);
    core.persist.kick();
    if (plan.value.replaces !== null) {
      for (const conn of core.sockets.set.socketsOf(player.id)) {
        core.sockets.close(conn, CloseCode.SESSION_REPLACED, "session replaced by a newer login");
      }
    }
    if (plan.value.isNew) {
      core.markChanged();
      core.seam.touched(player.id);
    }
    return ok({ participantId: player.id, username: player.username, isNew: plan.value.isNew });
  }

  /** A join with the id and fullness the battle's own object decided; a new player's entry comes back with it. */
  joinShard(
    username: string,
    session: string,
    proof: JoinProof,
    alloc: JoinAlloc,
    entryOf: (id: number) => SyncEntry | null,
  ): Outcome<JoinResult & { entry?: SyncEntry }> {
    const joined = this.join(username, session, proof, undefined, alloc);
    if (!joined.ok || !joined.value.isNew) return joined;
    return ok({ ...joined.value, entry: entryOf(joined.value.participantId)! });
  }
}
