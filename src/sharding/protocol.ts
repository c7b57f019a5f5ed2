/**
 * @module What the objects of a sharded battle say to each other (Durable Object RPC in production, direct calls in
 * Node tests): shards report their players' changes to the coordinator and get the other shards' changes back;
 * the coordinator drives the shards' lifecycle and joins; a shard attacks another shard's player.
 */

import type { BattleConfig } from "../battle/config";
import type { JoinProof } from "../battle/game";
import type { Outcome } from "../battle/outcome";
import type { Schedule } from "../battle/schedule";
import type { BattleAdminView, JoinResult } from "../battle/views";

/** One participant's state: `[id, score, reachedAt, arrows, shields, correct, username, shard]`. */
export type SyncEntry = readonly [number, number, number, number, number, number, string, number];

/** The sync entry of a participant of shard `shard` (a shard's own player, or the coordinator's copy of one). */
export function syncEntry(
  p: {
    readonly id: number;
    readonly score: number;
    readonly reachedAt: number;
    readonly arrows: number;
    readonly shields: number;
    readonly correct: number;
    readonly username: string;
  },
  shard: number,
): SyncEntry {
  return [p.id, p.score, p.reachedAt, p.arrows, p.shields, p.correct, p.username, shard];
}

/** Everything a shard holds of its own players (the coordinator rebuilds the global order from these). */
export interface ShardSnapshot {
  readonly shard: number;
  /** The shard object's incarnation (new on every wake): report numbers restart with it. */
  readonly incarnation: string;
  /** When that incarnation woke: a report of an older incarnation than the last one heard is stale. */
  readonly since: number;
  /** Numbered per incarnation (in a snapshot: the last report it includes); older reports are ignored. */
  readonly batch: number;
  /** Open sockets on the shard now. */
  readonly online: number;
  readonly entries: readonly SyncEntry[];
}

/**
 * A shard's report: its players changed since its last report (a snapshot's fields, with only those entries) and
 * where it stands in the coordinator's log.
 */
export interface SyncRequest extends ShardSnapshot {
  /** The coordinator incarnation the cursor belongs to (null: never synced). */
  readonly epoch: string | null;
  readonly cursor: number;
  /** The shard's players with an open socket, when it has at most `PRESENCE_LIST_MAX` sockets (for who-is-online). */
  readonly present?: readonly number[];
}

/** The other shards' players that changed since the shard's cursor, and the battle-wide online count. */
export interface SyncReply {
  /** The battle's schedule: a shard that missed a start or end call adopts it. */
  readonly schedule: Schedule;
  readonly epoch: string;
  readonly cursor: number;
  readonly entries: readonly SyncEntry[];
  readonly online: number;
  /** Everyone online across the battle, when every shard sent its list and together they are few enough to list. */
  readonly present?: readonly number[];
}

/** A cross-shard attack, from the attacker's shard to the target's; `id` makes a retry idempotent. */
export interface RemoteAttackRequest {
  readonly id: string;
  readonly attacker: { readonly id: number; readonly username: string };
  /** The attacker's arrows after this attack (for the event the target's shard writes). */
  readonly arrows: number;
  readonly target: number;
  /**
   * Only ask whether the hit would be refused (the target has no points): nothing is applied, written or remembered.
   * Sent before reserving an arrow when the replica says the target has no points, so a refusal costs no write.
   */
  readonly probe?: true;
}

export interface RemoteAttackResult {
  readonly blocked: boolean;
  readonly pointsLost: number;
}

/** What the coordinator (and other shards) call on a shard. */
export interface ShardPeer {
  createShard(config: BattleConfig): Promise<Outcome<unknown>>;
  start(at?: number, endsAt?: number): Promise<Outcome<unknown>>;
  end(): Promise<Outcome<unknown>>;
  joinShard(
    username: string,
    session: string,
    proof: JoinProof,
    alloc: { id: number; full: boolean },
  ): Promise<Outcome<JoinResult>>;
  snapshot(): Promise<ShardSnapshot | null>;
  /** The shard's own operator view (its players' counters), summed into the battle's by the coordinator. */
  info(): Promise<Outcome<BattleAdminView>>;
  remoteAttack(req: RemoteAttackRequest): Promise<Outcome<RemoteAttackResult>>;
  /** The queue consumer's watermarks for the shard's persistence stream (passed on by the coordinator). */
  confirmPersisted(
    marks: Partial<Record<"d1" | "pg", number>>,
    stream: number,
    incarnation?: string,
  ): Promise<void>;
}

/** What a shard calls on its coordinator. */
export interface CoordinatorPeer {
  sync(req: SyncRequest): Promise<SyncReply>;
}

/** How one object of a sharded battle reaches the others. */
export interface ShardNetwork {
  coordinator(battle: string): CoordinatorPeer;
  shard(battle: string, index: number): ShardPeer;
}

/** The object name of shard `index` of a battle (the coordinator is named by the battle id itself). */
export function shardObjectName(battle: string, index: number): string {
  return `${battle}#s${index}`;
}
